"""The annotated value types every export record uses: the JSON Schema says what each
holds."""

from __future__ import annotations

from typing import Annotated

import msgspec

Hex = Annotated[str, msgspec.Meta(pattern="^([0-9a-f]{2})*$", description="bytes, lowercase hex")]
FrameNo = Annotated[int, msgspec.Meta(ge=1, description="1-based, as Wireshark's frame.number")]
Micros = Annotated[int, msgspec.Meta(description="microseconds since the Unix epoch")]
Iso = Annotated[str, msgspec.Meta(description="ISO 8601 in UTC, microseconds")]
