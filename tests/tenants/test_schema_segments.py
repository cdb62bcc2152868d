"""The three segments share one definition in the schema ($defs), and users see the same located messages."""

from __future__ import annotations

from wardcloud.tenants.schema import tenant_schema

CIDR_HELP = ("IPv4 network of the segment in CIDR notation (network address, e.g. 10.13.0.0/20); must lie inside "
             "the consortium address plan and overlap no other segment of any ward.")


def test_segments_are_one_definition_each_with_its_own_description():
    schema = tenant_schema()
    segments = schema["properties"]["segments"]["properties"]
    assert set(segments) == {"mynumber", "lgwan", "internet"}
    for name, segment in segments.items():
        assert segment["$ref"] == "#/$defs/segment", name
        assert set(segment) == {"$ref", "description"}, name
    definition = schema["$defs"]["segment"]
    assert definition["required"] == ["cidr"] and definition["additionalProperties"] is False


def test_segment_mistakes_read_as_before(wardctl, wards_dir):
    shibuya = wards_dir / "131130-shibuya.yaml"
    text = shibuya.read_text(encoding="utf-8")
    shibuya.write_text(text.replace("    cidr: 10.13.0.0/20\n", "    cidrr: 10.13.0.0/20\n")
                       .replace("  lgwan:\n", "  lgwann:\n"), encoding="utf-8")
    result = wardctl("validate", str(wards_dir))
    assert result.exit_code == 1
    lines = [line.replace(str(shibuya), "F") for line in result.stderr.splitlines()]
    assert lines[:4] == [
        "F:16:3: TEN010 missing required key 'lgwan': LGWAN接続系: reaches only the LGWAN gateway network. "
        "(at segments)",
        f"F:17:5: TEN010 missing required key 'cidr': {CIDR_HELP} (at segments.mynumber)",
        "F:17:5: TEN010 unknown key 'cidrr': did you mean 'cidr'? expected one of cidr, description, dns_nameservers, "
        "volume_encryption (at segments.mynumber.cidrr)",
        "F:19:3: TEN010 unknown key 'lgwann': did you mean 'lgwan'? expected one of internet, lgwan, mynumber "
        "(at segments.lgwann)",
    ]
