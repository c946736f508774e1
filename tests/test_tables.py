"""Result tables: a real HTML table (caption, header cells, escaped text) and an aligned text form."""

from __future__ import annotations

import numpy as np
import pytest

from ketacourse.tables import Table, table


def test_html_is_a_real_table_with_caption_and_header_cells():
    t = table(["model", "CL (L/h)"], [["domino <1982>", np.float64(116.24)], ["fanta", 95]],
              caption="Clearance at 70 kg", formats=["", ".1f"], note="Kamp 2020: 79 L/h")
    h = t._repr_html_()
    assert h.count("<table") == 1 and "<caption>Clearance at 70 kg</caption>" in h
    assert h.count('<th scope="col">') == 2 and "<thead>" in h and "<tbody>" in h
    assert "domino &lt;1982&gt;" in h, "text is escaped"
    assert '<td style="text-align:right">116.2</td>' in h and '<td style="text-align:right">95.0</td>' in h
    assert "Kamp 2020: 79 L/h" in h and "<pre" not in h


def test_text_form_is_aligned_columns():
    t = Table(["route", "F"], [["oral", 0.2], ["intranasal", 0.45]], caption="Routes", formats=["", ".2f"])
    assert repr(t).splitlines() == ["Routes", "route          F", "oral        0.20", "intranasal  0.45"]


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        (([], []), r"^columns must hold at least one header; got none$"),
        ((["a", "b"], [[1]]), r"^rows\[0\] must hold 2 values; got 1$"),
        ((["a", "b"], [[1, 2]], "", [".1f"]), r"^formats must hold one spec per column \(2\); got 1$"),
    ],
)
def test_bad_arguments(args, msg):
    with pytest.raises(ValueError, match=msg):
        table(*args)
