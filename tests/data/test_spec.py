"""The --data spec parser shared by train-text-fcn and train-ranker."""
import pytest

from textvision.data.spec import DataPart, parse_data_spec

KINDS = ("synth", "photos", "teacher", "icdar2015")


def test_parts_repeats_and_arguments():
    assert parse_data_spec("synth", KINDS) == [DataPart("synth", "", 1, "synth")]
    parts = parse_data_spec("photos:/a;/b+teacher:labels*3+synth*2", KINDS)
    assert [(p.kind, p.arg, p.repeat) for p in parts] == [("photos", "/a;/b", 1), ("teacher", "labels", 3),
                                                          ("synth", "", 2)]
    assert parts[1].text == "teacher:labels*3"


def test_folders_only_where_the_caller_reads_them(tmp_path):
    odd = tmp_path / "a+b*2"  # a folder whose name looks like a mix
    odd.mkdir()
    assert parse_data_spec(str(odd), KINDS, folders=True) == [DataPart("folder", str(odd), 1, str(odd))]
    parts = parse_data_spec(f"{tmp_path}*2+synth", KINDS, folders=True)
    assert [(p.kind, p.arg, p.repeat) for p in parts] == [("folder", str(tmp_path), 2), ("synth", "", 1)]
    with pytest.raises(ValueError, match="unknown --data"):
        parse_data_spec(str(tmp_path), KINDS)


@pytest.mark.parametrize("spec, match", [
    ("", "non-empty"),
    ("synth++photos:/a", "empty part"),
    ("+synth", "empty part"),
    ("synth*0", "repeat count"),
    ("imagenet:/x", r"unknown --data 'imagenet:/x'; expected synth, photos:\.\.\."),
])
def test_bad_specs(spec, match):
    with pytest.raises(ValueError, match=match):
        parse_data_spec(spec, KINDS, folders=True)
