"""The queue's top line keeps the operator and the API's pid visible: the shop name gives way."""

from __future__ import annotations

from rich.cells import cell_len

from shopdesk.tui.widgets.top_bar import fit_top_line

REST = ["zhou.min (supervisor)", "API: pid 24635"]


def test_a_line_that_fits_is_left_whole():
    line = fit_top_line("My shop", REST, 80)
    assert line == "shopdesk · My shop  zhou.min (supervisor)  API: pid 24635"


def test_a_long_shop_name_is_cut_so_the_pid_stays_visible_at_80_columns():
    line = fit_top_line("清风茶舍 Qingfeng Tea House and Porcelain", REST, 78)
    assert line.endswith("zhou.min (supervisor)  API: pid 24635")
    assert "…" in line and line.startswith("shopdesk · 清风茶舍")
    assert cell_len(line) <= 78


def test_chinese_names_are_cut_by_cells_not_characters():
    for width in range(50, 80):
        line = fit_top_line("清风茶舍青花瓷器专卖店旗舰店" * 2, REST, width)
        assert cell_len(line) <= width and line.endswith("API: pid 24635")


def test_with_no_room_at_all_the_shop_name_goes_first():
    line = fit_top_line("Qingfeng Tea House", REST, 50)
    assert "Qingfeng" not in line and "API: pid 24635" in line
