# ruff: noqa: RUF001  (Cyrillic text on purpose)
"""Short news paragraphs in the languages of issue 18, written for these tests (one story, told
in each language), with the code each must be detected as."""

from __future__ import annotations

RU = (
    "Министр иностранных дел России Сергей Лавров заявил в понедельник, что Москва готова "
    "продолжить переговоры с Минском о поставках газа. По его словам, стороны обсудят новые "
    "цены уже на следующей неделе, а соглашение может быть подписано до конца месяца."
)
UK = (
    "Міністр закордонних справ України Дмитро Кулеба заявив у понеділок, що Київ готовий "
    "продовжити переговори з партнерами щодо постачання газу. За його словами, сторони "
    "обговорять нові ціни вже наступного тижня, а угоду можуть підписати до кінця місяця."
)
BE = (
    "Міністр замежных спраў Беларусі заявіў у панядзелак, што Мінск гатовы працягнуць "
    "перамовы з суседзямі пра пастаўкі газу. Па яго словах, бакі абмяркуюць новыя кошты ўжо "
    "на наступным тыдні, а пагадненне могуць падпісаць да канца месяца."
)
PL = (
    "Minister spraw zagranicznych Polski oświadczył w poniedziałek, że Warszawa jest gotowa "
    "kontynuować rozmowy z sąsiadami w sprawie dostaw gazu. Według niego strony omówią nowe "
    "ceny już w przyszłym tygodniu, a porozumienie może zostać podpisane do końca miesiąca."
)
EN = (
    "Russia's foreign minister Sergei Lavrov said on Monday that Moscow was ready to continue "
    "talks with Minsk about gas supplies. According to him, the two sides will discuss new "
    "prices as early as next week, and an agreement could be signed by the end of the month."
)
BY_CODE = {"ru": RU, "uk": UK, "be": BE, "pl": PL, "en": EN}
