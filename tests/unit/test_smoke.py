from fragrance_ai.catalog import load_catalog


def test_catalog_loads() -> None:
    assert len(load_catalog()) > 0
