"""What counts as the same number: values with their units."""

from ragtune.quantities import Quantity, quantities


def test_quantities_compare_values_with_their_units():
    assert quantities("20 triệu đồng") == quantities("20.000.000 đồng") == [Quantity("20000000", "đồng")]
    assert quantities("1,5 triệu") == [Quantity("1500000", "")]
    assert quantities("lúc 8h30") == quantities("lúc 8:30") == quantities("8 giờ 30") == [Quantity("8:30", "time")]
    assert quantities("từ 01/01/2026") == [Quantity("1/1/2026", "date")]
    assert not Quantity("2", "ngày").matches(Quantity("2", "giờ")) and Quantity("2", "").matches(Quantity("2", "giờ"))
    assert quantities("theo [1] và [12]") == []  # citation markers are not claims
