"""`attscope --bogus` said a COMMAND was missing instead of naming `--bogus`, and a
subcommand's unknown option was reported under the top-level usage. Each parser now
names what it does not know, under its own usage."""

from __future__ import annotations

import pytest
from corpus import SAMPLES

from attscope.cli.main import main

SAMPLE = str(SAMPLES / "heart_rate.btsnoop")


def usage_error(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    with pytest.raises(SystemExit) as stopped:
        main(args)
    assert stopped.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("args", [["--bogus"], ["--bogus", SAMPLE], ["--bogus", "info", SAMPLE]])
def test_an_unknown_top_level_option_is_named(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    err = usage_error(capsys, args)
    assert err.startswith("usage: attscope [-h]")
    assert err.splitlines()[-1] == "attscope: error: unrecognized arguments: --bogus"


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["info", "--bogus", SAMPLE], "info"),
        (["dump", SAMPLE, "--bogus"], "dump"),
        (["convert", SAMPLE, "out.pcap", "--bogus"], "convert"),
        (["emulate", "--replay", SAMPLE, "--bogus"], "emulate"),
        ([SAMPLE, "--bogus"], "open"),  # `attscope FILE` is `attscope open FILE`
    ],
)
def test_a_subcommands_unknown_option_gets_that_subcommands_usage(
    capsys: pytest.CaptureFixture[str], args: list[str], command: str
) -> None:
    err = usage_error(capsys, args)
    assert err.startswith(f"usage: attscope {command} ")
    assert err.splitlines()[-1] == f"attscope {command}: error: unrecognized arguments: --bogus"


def test_no_command_at_all_still_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(capsys, [])
    assert err.splitlines()[-1] == "attscope: error: the following arguments are required: COMMAND"
