"""The explorer's shareable link: a scenario's form values and rating scale in the URL query, and back.

A link is read exactly as the form is (`FormValues.from_inputs`, then `build_protocol`, which applies every rule of
the protocol loader), so a link opens only a scenario the form could have run; anything else is an `InputError`
with the field's key path, shown in the page's error box.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from ketasim.errors import InputError
from ketasim.protocol.fields import choose
from ketasim.vocabulary import SCALES
from ketasim.web.form import FormValues, build_protocol

SCALE_KEY = "scale"
MAX_LINK_CHARACTERS = 4000
"""Longest query a link may carry (a scenario's link is a few hundred characters)."""
LINK_FIX = "open a link made by the explorer's “Link to this run”, or fill in the form"


def link_query(values: FormValues, scale: str) -> str:
    """The query part (``?condition=trd&...``) of the link to a scenario shown on ``scale``."""
    return "?" + urlencode({**values.as_dict(), SCALE_KEY: scale})


def read_link(search: str) -> tuple[FormValues, str | None]:
    """The form values and rating scale (None: the condition's default) of a link's query.

    Fields the link leaves out take the form's defaults.

    Raises
    ------
    InputError
        A query over `MAX_LINK_CHARACTERS`, an unknown or repeated field, a value the form refuses, or a scenario
        the protocol loader refuses; at the field's key path.
    """
    query = search.removeprefix("?")
    if len(query) > MAX_LINK_CHARACTERS:
        raise InputError("link", f"is {len(query)} characters long, over {MAX_LINK_CHARACTERS}", LINK_FIX)
    fields = len(FormValues.names()) + 1
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=fields)
    except ValueError:
        raise InputError("link", f"holds more than {fields} fields", LINK_FIX) from None
    given: dict[str, str] = {}
    for key, value in pairs:
        if key != SCALE_KEY and key not in FormValues.names():
            raise InputError(f"link.{key}", "is not a field of the explorer", LINK_FIX)
        if key in given:
            raise InputError(f"link.{key}", "is given twice", LINK_FIX)
        given[key] = value
    scale = given.pop(SCALE_KEY, None)
    if scale is not None:
        choose(scale, SCALES, "rating scale", f"link.{SCALE_KEY}")
    values = FormValues.from_inputs({**FormValues().as_dict(), **given})
    build_protocol(values)
    return values, scale
