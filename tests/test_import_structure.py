"""The structure `oerlog import` recognises, on small texts written the way regulations are: one rule per test,
each asserting the keys and texts a reader of articles.yaml would expect."""

from __future__ import annotations

from oerlog.authoring.structure import Line, recognise


def _provisions(text: str, items: str = "lids") -> dict[tuple[str, str | None], str]:
    lines = [Line(i + 1, t) for i, t in enumerate(text.split("\n"))]
    return {(a, lid): t for a, lid, t, _ in recognise(lines, items).provisions()}


def _skipped(text: str) -> list[tuple[str, str]]:
    lines = [Line(i + 1, t) for i, t in enumerate(text.split("\n"))]
    return [(s.kind, s.text) for s in recognise(lines).skipped]


def test_articles_lids_items_and_wrapped_lines() -> None:
    got = _provisions(
        "Artikel 5.5 Herkansing\n\n1. Een student die een onvoldoende\nbehaalt, mag herkansen.\n"
        "2. De examencommissie kan:\na. uitstel verlenen;\nb. een extra gelegenheid bieden.\n\n"
        "art. 5.6 – geldigheidsduur\n\nBehaalde resultaten zijn onbeperkt geldig."
    )
    assert got == {
        ("5.5", "1"): "Een student die een onvoldoende behaalt, mag herkansen.",
        ("5.5", "2"): "De examencommissie kan:",
        ("5.5", "2a"): "uitstel verlenen;",
        ("5.5", "2b"): "een extra gelegenheid bieden.",
        ("5.6", None): "Behaalde resultaten zijn onbeperkt geldig.",
    }


def test_items_kept_in_the_text_of_their_lid() -> None:
    text = "Artikel 2 Taken\n\n1. Tot de taken behoren:\n- a. beslissingen over vrijstellingen;\n- b. het examen.\n"
    assert _provisions(text, "text") == {
        ("2", "1"): "Tot de taken behoren: a. beslissingen over vrijstellingen; b. het examen."
    }
    definitions = "Artikel 1 Begrippen\n\nIn deze regeling wordt verstaan onder:\n"
    definitions += "a. wet: de WHW;\nb. student: wie is ingeschreven.\n"
    assert _provisions(definitions, "text") == {  # definitions stay citable on their own
        ("1", "0"): "In deze regeling wordt verstaan onder:",
        ("1", "a"): "wet: de WHW;",
        ("1", "b"): "student: wie is ingeschreven.",
    }


def test_numbered_sub_list_and_a_lid_that_opens_with_an_item() -> None:
    got = _provisions(
        "Artikel 6.2 Cum laude\n\n1. Het judicium wordt vermeld.\n2. Cum laude wordt toegekend, indien:\n"
        "  1. het gemiddelde tenminste 8,00 is;\n  2. de thesis tenminste 8,00 is.\n"
        "3. a. De examencommissie beslist.\nb. Zij hoort de student.\n"
    )
    assert got[("6.2", "2.1")] == "het gemiddelde tenminste 8,00 is;"
    assert got[("6.2", "2.2")] == "de thesis tenminste 8,00 is."
    assert got[("6.2", "3a")] == "De examencommissie beslist." and got[("6.2", "3b")] == "Zij hoort de student."
    assert ("6.2", "3") not in got


def test_footnote_moves_to_the_article_that_carries_its_marker() -> None:
    got = _provisions(
        "Artikel 3 Taal\n\nAlle opleidingen zijn Engelstalig.<sup>1</sup>\n\n"
        "Artikel 4 Omvang\n\n1. De opleiding omvat 120 EC.\n\n<sup>1</sup> Twee programma's zijn Nederlandstalig.\n\n"
        "2. Een jaar omvat 60 EC.\n"
    )
    assert got[("3", "1")] == "Alle opleidingen zijn Engelstalig.<sup>1</sup>"
    assert got[("3", "fn1")] == "<sup>1</sup> Twee programma's zijn Nederlandstalig."
    assert got[("4", "2")] == "Een jaar omvat 60 EC."  # the footnote did not break the numbering of art. 4


def test_annexes_tables_and_steps() -> None:
    got = _provisions(
        "Artikel 2 Begrippen\n\n1. Zie de wet.\n2. Verder wordt verstaan onder:\n\n"
        "EC\tStudiepunt\nCEC\tCentrale examencommissie\n\n"
        "Bijlage 4 Protocol COBEX\n\nVastgesteld op 9 maart 2017.\n\n\tCheckpoint\tUitleg\n"
        "1.\tOntvangst beroepschrift\tDe secretaris slaat het beroepschrift op.\n"
        "2.\tZitting\t<p>De secretaris plant de zitting. <p>Hij nodigt de partijen uit.\n"
    )
    assert got[("2", "2a")] == "EC Studiepunt" and got[("2", "2b")] == "CEC Centrale examencommissie"
    assert got[("B4", None)] == "Vastgesteld op 9 maart 2017."
    assert got[("B4.1", None)] == "De secretaris slaat het beroepschrift op."
    assert (
        got[("B4.2", "1")] == "<p>De secretaris plant de zitting."
        and got[("B4.2", "2")] == "<p>Hij nodigt de partijen uit."
    )


def test_table_of_contents_page_numbers_and_separators_are_left_out_and_listed() -> None:
    text = (
        "Onderwijs- en examenregeling 2026-2027\n\nInhoud\nart. 1.1 – toepasselijkheid\t3\nart. 1.2 – begrippen\t3\n\n"
        "art. 1.1 – toepasselijkheid\n\nDeze regeling geldt voor het studiejaar 2026-2027.\n\n12\n\n"
        "art. 1.2 – begrippen\n\nDe begrippen zijn die van de wet.\n\no – o – o\n"
    )
    assert _provisions(text) == {
        ("1.1", None): "Deze regeling geldt voor het studiejaar 2026-2027.",
        ("1.2", None): "De begrippen zijn die van de wet.",
    }
    skipped = _skipped(text)
    assert ("title_page", "Onderwijs- en examenregeling 2026-2027") in skipped
    assert ("toc", "art. 1.2 – begrippen\t3") in skipped and ("page_number", "12") in skipped
    assert ("separator", "o – o – o") in skipped and ("heading", "art. 1.1 – toepasselijkheid") in skipped


def test_a_guide_without_article_numbers_is_keyed_by_part_and_titled_section() -> None:
    got = _provisions(
        "Bachelor Geneeskunde\n\nA. BACHELOR JAAR 1 EN 2\n\nHerkansen\n- Je ontvangt een uitnodiging.\n"
        "- Je wordt uitgesloten.\nNB: dit geldt niet voor PLO.\n\nJokerregeling\nJe hebt 1x een joker.\n"
    )
    assert got == {
        ("A.1", "1"): "Je ontvangt een uitnodiging.",
        ("A.1", "2"): "Je wordt uitgesloten.",
        ("A.1", "3"): "NB: dit geldt niet voor PLO.",
        ("A.2", "1"): "Je hebt 1x een joker.",
    }
