"""ICDAR 2015 / 2013 readers and writers on hand-written files in the official formats."""
from pathlib import Path

import numpy as np
import pytest

from textvision.data import TextInstance, read_icdar2013, read_icdar2015, write_icdar2013, write_icdar2015

# Written by hand as the ICDAR 2015 training files look: BOM, CRLF, commas in a transcription, ###.
IC15_GT = (
    "\ufeff377,117,463,117,465,130,378,130,Genaxis Theatre\r\n"
    "493,115,519,115,519,131,493,131,[06]\r\n"
    "374,155,409,155,409,170,374,170,###\r\n"
    "100,50,160,50,160,70,100,70,Hello, world,again\r\n"
    "\r\n"
)


def _write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_read_icdar2015_official_layout(tmp_path):
    p = _write(tmp_path, "gt_img_1.txt", IC15_GT)
    inst = read_icdar2015(p)
    assert len(inst) == 4
    assert inst[0].text == "Genaxis Theatre" and not inst[0].ignore
    np.testing.assert_array_equal(inst[0].quad, [[377, 117], [463, 117], [465, 130], [378, 130]])
    assert inst[0].quad.dtype == np.float32
    assert inst[1].text == "[06]"
    assert inst[2].ignore and inst[2].text == "###"
    assert inst[3].text == "Hello, world,again"  # commas inside the transcription are kept


def test_round_trip_icdar2015(tmp_path):
    rng = np.random.default_rng(0)
    src = []
    for i in range(20):
        x, y = rng.uniform(0, 500, 2)
        w, h = rng.uniform(5, 80), rng.uniform(5, 40)
        quad = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32).round(2)
        text = "###" if i % 5 == 0 else f"w{i},x ü"
        src.append(TextInstance(quad, text, text == "###"))
    p = tmp_path / "sub" / "gt_img_7.txt"
    write_icdar2015(p, src)
    back = read_icdar2015(p)
    assert [b.text for b in back] == [s.text for s in src]
    assert [b.ignore for b in back] == [s.ignore for s in src]
    for a, b in zip(src, back):
        np.testing.assert_allclose(a.quad, b.quad, atol=0.006)
    assert sorted(q.name for q in p.parent.iterdir()) == ["gt_img_7.txt"], "atomic write left a temporary file"


def test_counter_clockwise_reordered_with_one_warning(tmp_path):
    lines = "".join(f"{x},10,{x},20,{x + 30},20,{x + 30},10,w{x}\n" for x in (0, 40, 80))  # CCW (y down)
    p = _write(tmp_path, "gt_img_2.txt", lines)
    with pytest.warns(UserWarning, match="3 counter-clockwise") as rec:
        inst = read_icdar2015(p)
    assert len([r for r in rec if "counter-clockwise" in str(r.message)]) == 1
    np.testing.assert_array_equal(inst[0].quad, [[0, 10], [30, 10], [30, 20], [0, 20]])


def test_degenerate_quads_reported_with_file_and_line(tmp_path):
    text = "0,0,10,0,10,10,0,10,ok\n5,5,5,5,5,5,5,5,zero\n1,2,nan,2,3,4,1,4,nan\n"
    p = _write(tmp_path, "gt_img_3.txt", text)
    with pytest.warns(UserWarning) as rec:
        inst = read_icdar2015(p)
    assert [i.text for i in inst] == ["ok"]
    msg = " ".join(str(r.message) for r in rec)
    assert "gt_img_3.txt" in msg and "line 2 (zero area)" in msg and "line 3 (non-finite" in msg


def test_malformed_lines_strict_and_lenient(tmp_path):
    text = "0,0,10,0,10,10,0,10,ok\n1,2,3\nx,0,10,0,10,10,0,10,bad\n0,0,10,0,10,10,0,10,fine\n"
    p = _write(tmp_path, "gt_img_4.txt", text)
    with pytest.raises(ValueError, match=r"gt_img_4\.txt:2"):
        read_icdar2015(p)
    with pytest.warns(UserWarning, match="skipped 2 malformed"):
        inst = read_icdar2015(p, strict=False)
    assert [i.text for i in inst] == ["ok", "fine"]


def test_empty_file_and_results_without_text(tmp_path):
    assert read_icdar2015(_write(tmp_path, "gt_img_5.txt", "")) == []
    assert read_icdar2015(_write(tmp_path, "gt_img_6.txt", "\ufeff\r\n")) == []
    res = _write(tmp_path, "res_img_1.txt", "1.5,2,30,2,30,12.25,1.5,12.25\n")
    (inst,) = read_icdar2015(res)
    assert inst.text == "" and not inst.ignore
    np.testing.assert_allclose(inst.quad[2], [30, 12.25])


def test_write_quads_array_integer(tmp_path):
    quads = np.array([[[0.4, 0.6], [10.5, 0], [10, 5], [0, 5]]], np.float32)
    p = tmp_path / "res_img_1.txt"
    write_icdar2015(p, quads, integer=True, with_text=False)
    assert p.read_text() == "0,1,10,0,10,5,0,5\n"
    with pytest.raises(ValueError, match=r"\[N, 4, 2\]"):
        write_icdar2015(p, np.zeros((2, 3, 2), np.float32))


def test_latin1_file_is_read(tmp_path):
    p = _write(tmp_path, "gt_img_8.txt", "0,0,10,0,10,10,0,10,caf\xe9\n", encoding="latin-1")
    with pytest.warns(UserWarning, match="Latin-1"):
        (inst,) = read_icdar2015(p)
    assert inst.text == "caf\xe9"


# ICDAR 2013: training files use spaces, test files commas; both quote the word.
IC13_TRAIN = '38 43 920 215 "Tiredness"\n275 264 665 450 "kills"\n0 699 77 830 "A"\n'
IC13_TEST = '\ufeff158, 128, 411, 181, "Footpath"\r\n443, 128, 450, 169, "\\"I"\r\n10, 10, 20, 20, "###"\r\n'


def test_read_icdar2013_space_and_comma(tmp_path):
    tr = read_icdar2013(_write(tmp_path, "gt_100.txt", IC13_TRAIN))
    assert [i.text for i in tr] == ["Tiredness", "kills", "A"]
    np.testing.assert_array_equal(tr[0].quad, [[38, 43], [920, 43], [920, 215], [38, 215]])
    te = read_icdar2013(_write(tmp_path, "gt_img_1.txt", IC13_TEST))
    assert [i.text for i in te] == ["Footpath", '"I', "###"]
    assert [i.ignore for i in te] == [False, False, True]
    res = read_icdar2013(_write(tmp_path, "res_img_1.txt", "158,128,411,181\n"))
    np.testing.assert_array_equal(res[0].box, [158, 128, 411, 181])


def test_icdar2013_round_trip_and_errors(tmp_path):
    src = read_icdar2013(_write(tmp_path, "a.txt", IC13_TEST))
    for style in ("comma", "space"):
        p = tmp_path / f"b_{style}.txt"
        write_icdar2013(p, src, style=style)
        back = read_icdar2013(p)
        assert [b.text for b in back] == [s.text for s in src]
        np.testing.assert_array_equal(np.stack([b.quad for b in back]), np.stack([s.quad for s in src]))
    write_icdar2013(tmp_path / "res.txt", src, with_text=False)
    assert (tmp_path / "res.txt").read_text().splitlines()[0] == "158,128,411,181"
    with pytest.raises(ValueError, match=r"bad\.txt:1"):
        read_icdar2013(_write(tmp_path, "bad.txt", "1 2 three 4\n"))
    with pytest.raises(ValueError, match="style"):
        write_icdar2013(tmp_path / "c.txt", src, style="tab")


def test_text_instance_validation():
    with pytest.raises(ValueError, match=r"\[4, 2\]"):
        TextInstance(np.zeros((3, 2)))
    inst = TextInstance(list(range(8)), "x")
    assert inst.quad.shape == (4, 2) and inst.quad.dtype == np.float32
    with pytest.raises(FileNotFoundError):
        read_icdar2015("/nonexistent/gt_img_1.txt")


def test_line_breaking_characters_inside_transcriptions(tmp_path):
    # A form feed or U+2028 inside a word must not split the record; on writing, any line break in a
    # transcription becomes a space.
    p = _write(tmp_path, "gt_img_9.txt", "0,0,10,0,10,10,0,10,a\x0cb\u2028c\r\n")
    (inst,) = read_icdar2015(p)
    assert inst.text == "a\x0cb\u2028c"
    write_icdar2015(p, [TextInstance(inst.quad, "x\ny\rz\u2028w")])
    (back,) = read_icdar2015(p)
    assert back.text == "x y z w"


def test_writers_are_atomic_under_failure(tmp_path, monkeypatch):
    """A failure after the bytes are written (here: the rename) leaves the previous file and no temporary."""
    from textvision import io as _io

    p = tmp_path / "gt_img_1.txt"
    old = [TextInstance(np.float32([[0, 0], [9, 0], [9, 5], [0, 5]]), "old")]
    write_icdar2015(p, old)
    before = p.read_bytes()
    seen = []

    def failing_replace(src, dst):
        seen.append(Path(src))
        assert Path(src).name.startswith(_io.TEMP_PREFIX) and Path(src).stat().st_size > 0
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_io.os, "replace", failing_replace)
    for write in (write_icdar2015, write_icdar2013):
        with pytest.raises(OSError, match="No space"):
            write(p, [TextInstance(np.float32([[1, 1], [8, 1], [8, 4], [1, 4]]), "new")])
    monkeypatch.undo()
    assert len(seen) == 2 and not any(q.exists() for q in seen)
    assert p.read_bytes() == before
    assert [q.name for q in tmp_path.iterdir()] == ["gt_img_1.txt"]


def test_gt_pairs(tmp_path):
    """Images paired with gt_<stem>.txt: in gt/ when that folder exists, else beside them; others left out."""
    import numpy as np

    from textvision import io
    from textvision.data.icdar import gt_pairs

    for name in ("a.jpg", "b.png", "c.jpg"):
        io.write_image(tmp_path / name, np.zeros((4, 4, 3), np.uint8))
    (tmp_path / "gt_a.txt").write_text("0,0,3,0,3,3,0,3,x\n")
    assert gt_pairs(tmp_path) == [(tmp_path / "a.jpg", tmp_path / "gt_a.txt")]
    (tmp_path / "gt").mkdir()
    (tmp_path / "gt" / "gt_b.txt").write_text("0,0,3,0,3,3,0,3,x\n")
    (tmp_path / "gt" / "gt_c.txt").write_text("0,0,3,0,3,3,0,3,x\n")
    assert [p.name for p, _ in gt_pairs(tmp_path)] == ["b.png", "c.jpg"]  # gt/ wins when present
    assert gt_pairs(tmp_path, tmp_path) == [(tmp_path / "a.jpg", tmp_path / "gt_a.txt")]
    assert gt_pairs(tmp_path, tmp_path / "missing") == []
