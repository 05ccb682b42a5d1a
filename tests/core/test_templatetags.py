"""The template tags of ``{% load hyperchannels %}`` (docs/client.md, docs/recovery.md)."""

from __future__ import annotations

import json


def test_the_script_tag_carries_a_nonce_when_given() -> None:
    from django.template import engines

    template = engines["django"].from_string("{% load hyperchannels %}{% hyperchannels_script nonce=n %}")
    assert template.render({"n": "abc"}) == (
        '<script type="module" src="/static/hyperchannels/hyperchannels.js" nonce="abc"></script>'
    )
    assert 'nonce' not in template.render({})


def test_hyper_positions_is_json_a_script_cannot_be_ended_by() -> None:
    from django.template import engines

    template = engines["django"].from_string('{% load hyperchannels %}{% hyper_positions "a</script>" %}')
    html = template.render({})
    assert "</script>" not in html
    positions = json.loads(html)
    assert list(positions) == ["a</script>"] and positions["a</script>"]["seq"] == 0
