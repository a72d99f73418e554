"""Each output format survives awkward text: commas, colons, newlines, XML metacharacters."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from schemawire.ci.findings import WARNING, Finding, Report, SubjectResult, split_confluent
from schemawire.ci.output import render


def report() -> Report:
    bad = Finding("a,b:c-value", "dir, with: odd/x.avsc", "TYPE_MISMATCH", "line one\nline <two> & 100%",
                  path="/fields/0", line=3, column=9, against="git:abc")
    warn = Finding("a,b:c-value", "dir, with: odd/x.avsc", "OLD_VERSION_UNPARSEABLE", "skipped", severity=WARNING)
    ok = SubjectResult("fine-value", "fine.avsc", "AVRO", "ok")
    return Report("check", [SubjectResult("a,b:c-value", bad.file, "AVRO", "incompatible", findings=[bad, warn]), ok])


def test_github_annotations_escape_properties_and_data():
    lines = render(report(), "github").splitlines()
    assert lines[0] == ("::error file=dir%2C with%3A odd/x.avsc,line=3,col=9,title=TYPE_MISMATCH (a%2Cb%3Ac-value)"
                        "::a,b:c-value: TYPE_MISMATCH: line one%0Aline <two> & 100%25 [against git:abc]")
    assert lines[1].startswith("::warning file=")
    assert lines[2].startswith("schemawire check: FAILED")


def test_junit_is_well_formed_and_counts_failing_subjects():
    root = ET.fromstring(render(report(), "junit"))
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    failure = suite.find("testcase[@name='a,b:c-value']/failure")
    assert "line <two> & 100%" in failure.text
    assert "OLD_VERSION_UNPARSEABLE" in suite.find("testcase[@name='a,b:c-value']/system-out").text
    assert suite.find("testcase[@name='fine-value']/failure") is None


def test_json_carries_every_field_and_the_exit_code():
    data = json.loads(render(report(), "json"))
    assert data["exit_code"] == 1 and data["ok"] is False
    first = data["findings"][0]
    assert (first["rule"], first["line"], first["column"], first["path"]) == ("TYPE_MISMATCH", 3, 9, "/fields/0")
    assert [f["severity"] for f in data["findings"]] == ["error", "warning"]


def test_warnings_alone_do_not_fail():
    r = Report("check", [SubjectResult("s", "f", "AVRO", "ok", findings=[
        Finding("s", "f", "OLD_VERSION_UNPARSEABLE", "skipped", severity=WARNING)])])
    assert r.exit_code == 0
    assert "passed" in render(r, "text")


def test_confluent_messages_split_in_both_quote_styles():
    avro = ("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'b' at path '/fields/1' in "
            "the new schema has no default value', additionalInfo:'b'}")
    assert split_confluent(avro) == ("READER_FIELD_MISSING_DEFAULT_VALUE",
                                     "The field 'b' at path '/fields/1' in the new schema has no default value")
    proto = '{errorType:"FIELD_SCALAR_KIND_CHANGED", description:"The kind at \'#/Order/2\' differs"}'
    assert split_confluent(proto) == ("FIELD_SCALAR_KIND_CHANGED", "The kind at '#/Order/2' differs")
    assert split_confluent("Incompatible because of different schema type") == (
        None, "Incompatible because of different schema type")
