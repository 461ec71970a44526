"""The reader against Go's own trace test data (internal/trace/testdata/tests).

Each .test file (vendored unchanged under tests/data/gotrace/go/, with Go's
licence) holds an expectation, SUCCESS or FAILURE, and a trace in the text
form of Go's internal/trace/raw package.  ``text_to_binary`` restates that
package's text reader and binary writer (each event: its type byte, every
argument as a varint, a stack's frames as 4 varints each, data as a varint
length and the bytes).  Our reader must accept exactly the traces Go accepts.
"""

import re
from pathlib import Path

import pytest

import gmpcore as gmp
from gmpcore.gotrace.events import EV, SPECS, version_limit

GO_DATA = Path(__file__).parent / "data" / "gotrace" / "go"
TESTS = sorted((GO_DATA / "tests").glob("*.test"))
_ESC = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34, "'": 39}


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def go_unquote(s):
    """Go's strconv.Unquote of a double-quoted string, as bytes."""
    assert s[0] == s[-1] == '"', s
    s, out, i = s[1:-1], bytearray(), 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        c = s[i + 1]
        if c in _ESC:
            out.append(_ESC[c])
            i += 2
        elif c == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        elif c in "uU":
            n = 4 if c == "u" else 8
            out += chr(int(s[i + 2:i + 2 + n], 16)).encode()
            i += 2 + n
        else:
            out.append(int(s[i + 1:i + 4], 8))
            i += 4
    return bytes(out)


def text_to_binary(text):
    """The binary trace of a trace in internal/trace/raw's text form."""
    lines = [ln.split("#")[0].strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    head = lines[0].split()
    assert head[0] == "Trace" and head[1].startswith("Go1."), lines[0]
    ver = int(head[1][4:])
    out = bytearray(f"go 1.{ver} trace\x00\x00\x00".encode())
    names = {s.name: i for i, s in enumerate(SPECS[:version_limit(ver)]) if s.name and i}
    names.update({s.name: i for i, s in enumerate(SPECS) if s.experiment})
    i = 1
    while i < len(lines):
        tok = lines[i].split()
        typ = names[tok[0]]
        spec = SPECS[typ]
        args = [int(a.split("=", 1)[1]) for a in tok[1:]]
        assert [a.split("=", 1)[0] for a in tok[1:]] == list(spec.args), lines[i]
        out.append(typ)
        out += b"".join(uvarint(a) for a in args)
        i += 1
        if spec.is_stack:
            for _ in range(args[1]):
                out += b"".join(uvarint(int(f.split("=", 1)[1])) for f in lines[i].split())
                i += 1
        if spec.has_data:
            key, _, val = lines[i].partition("=")
            assert key.strip() == "data", lines[i]
            data = go_unquote(val.strip())
            out += uvarint(len(data)) + data
            i += 1
    return bytes(out)


def parse_test(path):
    """(expectation, binary trace) of one txtar .test file."""
    sections = dict(re.findall(r"^-- (\w+) --\n(.*?)(?=^-- \w+ --\n|\Z)", path.read_text(),
                               re.S | re.M))
    return sections["expect"].strip(), text_to_binary(sections["trace"])


@pytest.mark.parametrize("path", TESTS, ids=[p.stem for p in TESTS])
def test_accepts_what_go_accepts(path):
    expect, data = parse_test(path)
    if expect == "SUCCESS":
        tr = gmp.read_go_trace(data)
        assert len(tr.events) > 0
    else:
        assert expect.startswith("FAILURE"), expect
        with pytest.raises(gmp.GoTraceError) as exc:
            gmp.read_go_trace(data)
        # Go's message (a regexp in the expectation) is in ours.
        pattern = expect[len("FAILURE"):].strip().strip('"')
        assert re.search(pattern, str(exc.value)), (pattern, str(exc.value))


def test_converter_round_trips_a_recorded_trace_header():
    # A hand-made two-event trace: the converter's bytes, by the format's rules.
    data = text_to_binary("Trace Go1.22\nEventBatch gen=1 m=0 time=300 size=3\n"
                          "ProcStatus dt=1 p=0 pstatus=1\n")
    assert data == b"go 1.22 trace\x00\x00\x00" + bytes([EV["EventBatch"], 1, 0, 0xAC, 2, 3,
                                                        EV["ProcStatus"], 1, 0, 1])
