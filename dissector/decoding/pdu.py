"""Declaring a PDU once: fields with their wire codec, parse and build derived from them.

A PDU class is a frozen `msgspec.Struct` whose fields carry their wire format as
`Annotated` metadata::

    @att_pdu(0x0A)
    class ReadRequest(AttPdu):
        '''ATT_READ_REQ (Core 5.4 Vol 3 Part F 3.4.4.3).'''
        handle: Annotated[int, U16]

`compile_pdu` turns the fields into a plan (consecutive fixed-size integers become one
`struct.Struct`) once per class, so `from_bytes` and `to_bytes` are symmetric by
construction: `to_bytes(from_bytes(b)) == b` for every well-formed `b`. A PDU whose layout
a flat field list cannot say (attribute data lists, say) overrides `decode_body` and
`encode_body`.
"""

from __future__ import annotations

import struct
import typing
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

import msgspec


class InvalidPdu(ValueError):
    """The bytes do not form this PDU. The message says why, for a Malformed record."""


class TruncatedPdu(InvalidPdu):
    """The bytes end before the PDU does."""


# -- field codecs ------------------------------------------------------------------------


class Int:
    """A little-endian unsigned integer of `size` bytes (1, 2, 3, 4, 6 or 8)."""

    __slots__ = ("fmt", "size")

    def __init__(self, size: int, fmt: str | None = None) -> None:
        self.size = size
        self.fmt = fmt  # struct code when one exists; 3- and 6-byte ones have none


U8 = Int(1, "B")
U16 = Int(2, "H")
U24 = Int(3)
U32 = Int(4, "I")
U48 = Int(6)
U64 = Int(8, "Q")
I8 = Int(1, "b")


class Fixed:
    """Exactly `size` bytes, kept as bytes (keys, random numbers, addresses)."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size


class _Rest:
    """Whatever bytes remain (a value, a signature-less payload); only as the last field."""


class _Uuid:
    """A UUID filling the remaining 2, 4 or 16 bytes; kept as text (see `uuid_text`)."""


REST = _Rest()
UUID = _Uuid()


def uuid_text(raw: bytes) -> str:
    """2 and 4 bytes: 4 or 8 hex digits ('2a37'); 16 bytes: the canonical 8-4-4-4-12 form.
    The width survives the round trip: `uuid_bytes(uuid_text(b)) == b`."""
    if len(raw) in (2, 4):
        return raw[::-1].hex()
    if len(raw) == 16:
        h = raw[::-1].hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    raise InvalidPdu(f"a UUID is 2, 4 or 16 bytes, not {len(raw)}")


def uuid_bytes(text: str) -> bytes:
    return bytes.fromhex(text.replace("-", ""))[::-1]


# -- the plan ----------------------------------------------------------------------------

Step = tuple[str, Any]  # ("struct", (Struct, names)) | ("int", (size, name)) | ("fixed", ...)


def _plan(cls: type[msgspec.Struct]) -> tuple[list[Step], int]:
    hints = typing.get_type_hints(cls, include_extras=True)
    steps: list[Step] = []
    pending_fmt = ""
    pending_names: list[str] = []
    min_size = 0

    def flush() -> None:
        nonlocal pending_fmt
        if pending_names:
            steps.append(("struct", (struct.Struct("<" + pending_fmt), tuple(pending_names))))
            pending_names.clear()
            pending_fmt = ""

    for name in cls.__struct_fields__:
        meta = getattr(hints[name], "__metadata__", ())
        codec = next((m for m in meta if isinstance(m, Int | Fixed | _Rest | _Uuid)), None)
        if codec is None:
            raise TypeError(f"{cls.__name__}.{name} has no wire codec")
        if isinstance(codec, Int) and codec.fmt:
            pending_fmt += codec.fmt
            pending_names.append(name)
            min_size += codec.size
            continue
        flush()
        if isinstance(codec, Int):
            steps.append(("int", (codec.size, name)))
            min_size += codec.size
        elif isinstance(codec, Fixed):
            steps.append(("fixed", (codec.size, name)))
            min_size += codec.size
        elif isinstance(codec, _Rest):
            steps.append(("rest", name))
        else:
            steps.append(("uuid", name))
    flush()
    for kind, _ in steps[:-1]:
        if kind in ("rest", "uuid"):
            raise TypeError(f"{cls.__name__}: a variable-length field must come last")
    return steps, min_size


def _decoder(cls: type, steps: list[Step], min_size: int) -> Callable[[bytes], Sequence[Any]]:
    name = cls.__name__
    fast = _fast_decoder(name, steps, min_size)
    if fast is not None:
        return fast

    def decode(body: bytes) -> list[Any]:
        if len(body) < min_size:
            raise TruncatedPdu(f"{name} needs {min_size} bytes, has {len(body)}")
        values: list[Any] = []  # in field order, so the class takes them positionally
        pos = 0
        for kind, arg in steps:
            if kind == "struct":
                fmt, _names = arg
                values.extend(fmt.unpack_from(body, pos))
                pos += fmt.size
            elif kind == "int":
                size, _field = arg
                values.append(int.from_bytes(body[pos : pos + size], "little"))
                pos += size
            elif kind == "fixed":
                size, _field = arg
                values.append(body[pos : pos + size])
                pos += size
            elif kind == "rest":
                values.append(body[pos:])
                pos = len(body)
            else:
                values.append(uuid_text(body[pos:]))
                pos = len(body)
        if pos != len(body):
            raise InvalidPdu(f"{name} has {len(body) - pos} bytes more than its fields")
        return values

    return decode


def _fast_decoder(
    name: str, steps: list[Step], min_size: int
) -> Callable[[bytes], Sequence[Any]] | None:
    """Decoders for the common shapes (fixed integers, then maybe a value or a UUID),
    without the general loop: these run for nearly every PDU of a capture."""
    kinds = [kind for kind, _ in steps]
    if kinds == ["rest"]:
        return lambda body: (body,)
    if not kinds or kinds[0] != "struct" or len(kinds) > 2:
        return None
    fmt: struct.Struct = steps[0][1][0]
    unpack, size = fmt.unpack_from, fmt.size
    tail = kinds[1] if len(kinds) == 2 else None
    if tail not in (None, "rest", "uuid"):
        return None

    def decode(body: bytes) -> Sequence[Any]:
        n = len(body)
        if n < size:
            raise TruncatedPdu(f"{name} needs {min_size} bytes, has {n}")
        if tail is None:
            if n != size:
                raise InvalidPdu(f"{name} has {n - size} bytes more than its fields")
            return unpack(body)
        if tail == "rest":
            return (*unpack(body), body[size:])
        return (*unpack(body), uuid_text(body[size:]))

    return decode


def _encoder(steps: list[Step]) -> Callable[[Any], bytes]:
    def encode(pdu: Any) -> bytes:
        parts: list[bytes] = []
        for kind, arg in steps:
            if kind == "struct":
                fmt, names = arg
                parts.append(fmt.pack(*(getattr(pdu, n) for n in names)))
            elif kind == "int":
                size, field = arg
                parts.append(getattr(pdu, field).to_bytes(size, "little"))
            elif kind in ("fixed", "rest"):
                parts.append(getattr(pdu, arg if kind == "rest" else arg[1]))
            else:
                parts.append(uuid_bytes(getattr(pdu, arg)))
        return b"".join(parts)

    return encode


class Pdu(msgspec.Struct, frozen=True, gc=False, tag=True):
    """Base of every PDU record. Subclasses declare fields with codecs (see module doc);
    `compile_pdu` (applied by each layer's registering decorator) prepares them."""

    CODE: ClassVar[int]  # what its layer's registry knows it by (see `Registry`)
    _decode: ClassVar[Callable[[bytes], Sequence[Any]]]
    _encode: ClassVar[Callable[[Any], bytes]]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        """The PDU from its bytes after the layer's own opcode or code byte."""
        return cls(*cls._decode(body))

    def encode_body(self) -> bytes:
        return type(self)._encode(self)


P = TypeVar("P", bound=type["Pdu"])


def compile_pdu(cls: P) -> P:
    """Prepare `cls`'s codec from its field declarations (once, at import)."""
    steps, min_size = _plan(cls)
    cls._decode = staticmethod(_decoder(cls, steps, min_size))
    cls._encode = staticmethod(_encoder(steps))
    return cls


class Malformed(msgspec.Struct, frozen=True, gc=False, tag=True):
    """Bytes a layer could not decode: which layer, why, and the bytes themselves."""

    layer: str
    reason: str
    raw: bytes


def codes_itself(cls: type[Pdu]) -> bool:
    """The class writes its own `encode_body` (and so its own `decode_body`): nothing to
    compile. A class may check more in `decode_body` and still use its compiled codec."""
    return cls.encode_body is not Pdu.encode_body


T = TypeVar("T", bound=Pdu)
C = TypeVar("C", bound=type[Any])


class ClassDecorator(Protocol):
    """What `Registry.register` returns: it gives back the class it registers."""

    def __call__(self, cls: C, /) -> C: ...


class Registry(Generic[T]):
    """The PDU classes of one layer by their code, registered the one way every layer
    uses: the decorator `registry.register(code)` records the class (a code registered
    twice fails at import), sets its `CODE` (and the layer's own name for it, `code_attr`),
    and prepares its codec: `prepare(cls)` when
    the layer gives one, else the fields are compiled unless the class decodes itself.

    For a layer whose PDU begins with its code byte (ATT, SMP, LL control), `decode` is
    the layer boundary: it never raises, and turns what does not decode into `Malformed`
    and an unregistered code into the layer's `unknown` record."""

    def __init__(
        self,
        layer: str,
        *,
        code_attr: str | None = None,
        prepare: Callable[[type[T]], None] | None = None,
        unknown: Callable[[int, bytes], T] | None = None,
        empty: str = "",
    ) -> None:
        self.layer = layer
        self.code_attr = code_attr  # the layer's own name for the code ("opcode" ...)
        self.classes: dict[int, type[T]] = {}
        self._prepare = prepare
        self._unknown = unknown
        self._empty = empty  # the Malformed reason for no bytes at all
        self._decoders: dict[int, Callable[[bytes], T]] = {}

    def register(self, *codes: int, setup: Callable[[Any], None] | None = None) -> ClassDecorator:
        """Register a class for `codes` (most layers: one code). `setup` sets what else the
        layer's classes carry (names, titles) before the codec is prepared."""

        def add(cls: C) -> C:
            for code in codes:
                if code in self.classes:
                    taken = self.classes[code].__name__
                    raise ValueError(f"{self.layer} code 0x{code:02x}: {cls.__name__} and {taken}")
            if len(codes) == 1:
                cls.CODE = codes[0]
                if self.code_attr is not None:
                    setattr(cls, self.code_attr, codes[0])
            if setup is not None:
                setup(cls)
            if self._prepare is not None:
                self._prepare(cls)
            elif not codes_itself(cls):
                compile_pdu(cls)
            for code in codes:
                self.classes[code] = cls
                self._decoders[code] = cls.decode_body
            return cls

        return add

    def decode(self, data: bytes) -> T | Malformed:
        """The PDU in `data`, its code first. Never raises."""
        try:
            decode = self._decoders[data[0]]
        except IndexError:
            return Malformed(self.layer, self._empty, bytes(data))
        except KeyError:
            if self._unknown is None:
                return Malformed(self.layer, f"unknown code 0x{data[0]:02x}", bytes(data))
            return self._unknown(data[0], bytes(data[1:]))
        try:
            return decode(data[1:])
        except InvalidPdu as exc:
            return Malformed(self.layer, self._reason(data[0], str(exc)), bytes(data))

    def _reason(self, code: int, text: str) -> str:
        """The decoder's message under the specification's name of the PDU:
        "ATT_READ_REQ: needs 2 bytes, has 1"."""
        cls = self.classes[code]
        name = getattr(cls, "name", cls.__name__)
        return f"{name}: {text.removeprefix(cls.__name__ + ' ')}"
