"""Issue 14 in evaluation: result files are never read as ground truth, gt scored against itself is
refused, `evaluate --json` checks its output first, and the malformed-gt hint names --lenient."""
import json
import zipfile

import pytest

from textvision.cli import main
from textvision.data import TextInstance, box_to_quad, write_icdar2015
from textvision.eval import deteval_icdar2013, icdar2015


def Q(*b):
    return box_to_quad(b)


WORD_A, WORD_B = Q(0, 0, 40, 10), Q(100, 50, 140, 60)


def _gt_folder(folder, with_results=False):
    folder.mkdir(exist_ok=True)
    write_icdar2015(folder / "gt_img_1.txt", [TextInstance(WORD_A, "a")])
    write_icdar2015(folder / "gt_img_2.txt", [TextInstance(WORD_B, "b")])
    if with_results:  # somebody's results beside the gt: both words missed
        write_icdar2015(folder / "res_img_1.txt", [TextInstance(WORD_B)], with_text=False)
        write_icdar2015(folder / "res_img_2.txt", [TextInstance(WORD_A)], with_text=False)
    return folder


def _det_folder(folder):
    folder.mkdir()
    write_icdar2015(folder / "res_img_1.txt", [TextInstance(WORD_A)], with_text=False)
    write_icdar2015(folder / "res_img_2.txt", [TextInstance(WORD_B)], with_text=False)
    return folder


def _one_line_error(err, command="evaluate"):
    err = err.strip()
    assert err.startswith(f"textvision {command}: error: ") and "\n" not in err and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("fn", [icdar2015, deteval_icdar2013])
def test_gt_against_itself_is_refused(fn, tmp_path):
    gt = _gt_folder(tmp_path / "gt")
    with pytest.raises(ValueError, match="same files"):
        fn(gt, gt)
    z = tmp_path / "gt.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in sorted(gt.iterdir()):
            zf.write(p, p.name)
    with pytest.raises(ValueError, match="same files"):
        fn(z, z)


def test_result_files_in_the_gt_folder_are_never_ground_truth(tmp_path):
    mixed = _gt_folder(tmp_path / "mixed", with_results=True)
    det = _det_folder(tmp_path / "det")
    r = icdar2015(mixed, det)
    assert (r.precision, r.recall, r.num_gt) == (1.0, 1.0, 2)
    # the folder's own res_* files are the detections when det is that folder: both words missed
    r = icdar2015(mixed, mixed)
    assert (r.recall, r.num_det) == (0.0, 2)
    # un-prefixed gt names: res_* files are still left out
    plain = tmp_path / "plain"
    plain.mkdir()
    write_icdar2015(plain / "img_1.txt", [TextInstance(WORD_A, "a")])
    write_icdar2015(plain / "res_img_1.txt", [TextInstance(WORD_B)], with_text=False)
    r = icdar2015(plain, {"img_1": [WORD_A]})
    assert (r.num_gt, r.hmean) == (1, 1.0) and [im.image for im in r.per_image] == ["img_1"]


def test_cli_det_pointed_at_gt_folder(tmp_path, capsys):
    gt = _gt_folder(tmp_path / "gt")
    assert main(["evaluate", "--gt", str(gt), "--det", str(gt)]) == 1
    assert "same files" in _one_line_error(capsys.readouterr().err)
    assert main(["evaluate", "--gt", str(gt), "--det", str(_det_folder(tmp_path / "det"))]) == 0
    assert "hmean 1.0000" in capsys.readouterr().out


def test_cli_json_unwritable_fails_before_evaluating(tmp_path, capsys, monkeypatch):
    import textvision.eval

    def _fail(*a, **k):
        raise AssertionError("evaluated before the --json output was checked")

    monkeypatch.setattr(textvision.eval, "icdar2015", _fail)
    gt, det = _gt_folder(tmp_path / "gt"), _det_folder(tmp_path / "det")
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["evaluate", "--gt", str(gt), "--det", str(det), "--json", str(afile / "m.json")]) == 1
    assert "afile" in _one_line_error(capsys.readouterr().err)
    assert main(["evaluate", "--gt", str(gt), "--det", str(det), "--json", str(tmp_path)]) == 1
    assert "is a folder" in _one_line_error(capsys.readouterr().err)


def test_cli_json_written(tmp_path, capsys):
    gt, det = _gt_folder(tmp_path / "gt"), _det_folder(tmp_path / "det")
    out = tmp_path / "m" / "metrics.json"
    assert main(["evaluate", "--gt", str(gt), "--det", str(det), "--json", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["hmean"] == 1.0 and written["num_gt"] == 2 and written["images_without_results"] == []
    assert written["per_image"][0]["image"] == "img_1" and written["per_image"][0]["matches"][0]["kind"] == "one-to-one"


@pytest.mark.parametrize("protocol", ["icdar2015", "icdar2013"])
def test_cli_malformed_gt_hint_names_lenient(protocol, tmp_path, capsys):
    gt = _gt_folder(tmp_path / "gt")
    (gt / "gt_img_3.txt").write_text("1,2,3\n" if protocol == "icdar2015" else "10 10 5 20 \"w\"\n")
    det = _det_folder(tmp_path / "det")
    assert main(["evaluate", "--gt", str(gt), "--det", str(det), "--protocol", protocol]) == 1
    err = _one_line_error(capsys.readouterr().err)
    assert "gt_img_3.txt:1" in err and "--lenient" in err and "strict=False" not in err
    with pytest.warns(UserWarning, match="skipped 1 malformed line"):
        assert main(["evaluate", "--gt", str(gt), "--det", str(det), "--protocol", protocol, "--lenient"]) == 0
