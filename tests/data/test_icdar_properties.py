"""Property tests: any transcription and quad survive a write -> read round trip."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textvision.data import TextInstance, read_icdar2013, read_icdar2015, write_icdar2013, write_icdar2015
from textvision.data.instances import signed_area

# Transcriptions: any printable text without line breaks, commas and quotes included; surrounding
# spaces are not preserved by the format (the reader strips them), so generate stripped strings.
_text = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20).map(str.strip)
# (line-breaking characters are covered by test_icdar.py::test_line_breaking_characters_inside_transcriptions)
_coord = st.integers(-5000, 5000).map(lambda v: v / 4)  # quarter pixels: exact in the 2-decimal format


@st.composite
def _instance(draw):
    x, y = draw(_coord), draw(_coord)
    w, h = draw(st.integers(1, 400)), draw(st.integers(1, 400))
    ccw = draw(st.booleans())
    quad = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32)
    if ccw:
        quad = quad[[0, 3, 2, 1]]
    return TextInstance(quad, draw(_text), False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_instance(), max_size=6), st.booleans())
def test_icdar2015_round_trip(tmp_path, instances, crlf_bom):
    p = tmp_path / "gt_img_1.txt"
    write_icdar2015(p, instances)
    if crlf_bom:  # the same file as Windows tools save it
        p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes().replace(b"\n", b"\r\n"))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # counter-clockwise inputs warn
        back = read_icdar2015(p)
    assert len(back) == len(instances)
    for a, b in zip(instances, back):
        assert b.text == a.text or (a.text == "###" and b.ignore)
        assert signed_area(b.quad) > 0
        expect = a.quad if signed_area(a.quad) > 0 else a.quad[[0, 3, 2, 1]]
        np.testing.assert_array_equal(b.quad, expect)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_instance(), max_size=5), st.sampled_from(["comma", "space"]))
def test_icdar2013_round_trip(tmp_path, instances, style):
    p = tmp_path / "gt_1.txt"
    write_icdar2013(p, instances, style=style)
    back = read_icdar2013(p)
    assert [b.text for b in back] == [a.text for a in instances]
    for a, b in zip(instances, back):
        np.testing.assert_array_equal(b.box, np.rint(a.box))


_junk = st.lists(st.one_of(st.text(max_size=40), st.sampled_from([
    "1,2,3,4,5,6,7,8,w", "1,2,3,4", "nan,0,1,0,1,1,0,1,x", '1 2 3 4 "a"', "1,2,3,4,5,6,7", ",,,,,,,,", "###",
    "\ufeff", "1e3,2,3,4,5,6,7,8", "-1,-2,-3,-4,-5,-6,-7,-8,a,b,c"])), max_size=8).map("\r\n".join)


@settings(max_examples=150, deadline=None)
@given(_junk)
def test_parsers_fail_only_with_value_error(text):
    import warnings

    from textvision.data.icdar import parse_icdar2013, parse_icdar2015

    for parse in (parse_icdar2015, parse_icdar2013):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out = parse(text, "fuzz.txt", strict=True)
            except ValueError as exc:
                assert "fuzz.txt:" in str(exc)  # names the file and line
            else:
                assert all(i.quad.shape == (4, 2) and np.isfinite(i.quad).all() for i in out)
            lenient = parse(text, "fuzz.txt", strict=False)  # never raises
            if parse is parse_icdar2015:  # (2013 boxes may be one pixel wide: x1 == x2 is legal)
                assert all(signed_area(i.quad) > 0 for i in lenient)
