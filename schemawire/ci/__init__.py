"""CI schema checks: `schemawire check`, `validate`, `register` and `download`.

Offline against git history or a directory, online against a registry; one
tool for Avro, JSON Schema and Protobuf, with rule ids and reasons in text,
JSON, JUnit XML or GitHub annotations.
"""
