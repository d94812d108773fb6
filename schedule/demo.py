"""Data for the demo generator (`manage.py seed_demo`): school templates, people's names,
the curriculum by grade and the school calendar. Pure data and pure functions: the command
turns them into rows."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

# --- schools -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolTemplate:
    key: str  # slug prefix: tomsk1, tomsk2, ...
    municipality: str
    time_zone: str
    names: str  # name pool: "ru" or "kz"
    calendar: str  # "ru" or "kz" holidays and vacations
    languages: str  # SchoolSettings.instruction_languages
    numbers: tuple[int, ...]  # school numbers used in turn
    name: str  # full name, {n} is the school number
    short_name: str
    streets: tuple[str, ...]
    phone_prefix: str


# Two schools already give the extremes: a Russian one at UTC+7 and a bilingual Kazakh one.
TEMPLATES = (
    SchoolTemplate(
        key="tomsk",
        municipality="Город Томск",
        time_zone="Asia/Tomsk",
        names="ru",
        calendar="ru",
        languages="ru",
        numbers=(32, 4, 49, 16, 40, 54, 2),
        name="МАОУ «Средняя общеобразовательная школа № {n}» г. Томска",
        short_name="СОШ № {n} (Томск)",
        streets=("пр. Ленина", "ул. Красноармейская", "ул. Учебная", "пр. Фрунзе"),
        phone_prefix="+7 913",
    ),
    SchoolTemplate(
        key="kostanay",
        municipality="Город Костанай",
        # Kazakhstan has one zone, UTC+5, since March 2024 (tzdata 2024a)
        time_zone="Asia/Qostanay",
        names="kz",
        calendar="kz",
        languages="ru,kk",
        numbers=(3, 7, 11, 22, 5, 18, 1),
        name="КГУ «Школа-гимназия № {n} отдела образования города Костаная»",
        short_name="Школа-гимназия № {n} (Костанай)",
        streets=("ул. Байтурсынова", "пр. Аль-Фараби", "ул. Гоголя", "ул. Темирбаева"),
        phone_prefix="+7 701",
    ),
    SchoolTemplate(
        key="perm",
        municipality="Город Пермь",
        time_zone="Asia/Yekaterinburg",
        names="ru",
        calendar="ru",
        languages="ru",
        numbers=(9, 102, 22, 47, 12, 77, 146),
        name="МАОУ «Средняя общеобразовательная школа № {n}» г. Перми",
        short_name="СОШ № {n} (Пермь)",
        streets=("ул. Екатерининская", "ул. Куйбышева", "Комсомольский пр.", "ул. Мира"),
        phone_prefix="+7 912",
    ),
    SchoolTemplate(
        key="odintsovo",
        municipality="Одинцовский городской округ",
        time_zone="Europe/Moscow",
        names="ru",
        calendar="ru",
        languages="ru",
        numbers=(9, 1, 16, 5, 17, 3, 8),
        name="МБОУ Одинцовская средняя общеобразовательная школа № {n}",
        short_name="Одинцовская СОШ № {n}",
        streets=("ул. Маршала Жукова", "Можайское ш.", "ул. Вокзальная", "бул. Любы Новосёловой"),
        phone_prefix="+7 916",
    ),
)

DEMO_KEYS = tuple(t.key for t in TEMPLATES)
# A demo school's slug is a template key and a number; its people's usernames start with it.
DEMO_SLUG_REGEX = r"^(" + "|".join(DEMO_KEYS) + r")[0-9]+$"
DEMO_USERNAME_REGEX = r"^((" + "|".join(DEMO_KEYS) + r")[0-9]+[.-]|coordinator-[0-9]+$)"
DEMO_MUNICIPALITIES = tuple(t.municipality for t in TEMPLATES)

CLASS_LETTERS = "АБВГДЕЖИКЛ"

# --- names -----------------------------------------------------------------------------------
# A father's name comes with the patronymics it gives to his son and daughter, so that
# patronymics are always spelt right (Илья → Ильич / Ильинична).

RU_FATHERS = (
    ("Александр", "Александрович", "Александровна"),
    ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"),
    ("Антон", "Антонович", "Антоновна"),
    ("Артём", "Артёмович", "Артёмовна"),
    ("Борис", "Борисович", "Борисовна"),
    ("Вадим", "Вадимович", "Вадимовна"),
    ("Валерий", "Валерьевич", "Валерьевна"),
    ("Василий", "Васильевич", "Васильевна"),
    ("Виктор", "Викторович", "Викторовна"),
    ("Виталий", "Витальевич", "Витальевна"),
    ("Владимир", "Владимирович", "Владимировна"),
    ("Владислав", "Владиславович", "Владиславовна"),
    ("Вячеслав", "Вячеславович", "Вячеславовна"),
    ("Геннадий", "Геннадьевич", "Геннадьевна"),
    ("Георгий", "Георгиевич", "Георгиевна"),
    ("Григорий", "Григорьевич", "Григорьевна"),
    ("Денис", "Денисович", "Денисовна"),
    ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"),
    ("Егор", "Егорович", "Егоровна"),
    ("Иван", "Иванович", "Ивановна"),
    ("Игорь", "Игоревич", "Игоревна"),
    ("Илья", "Ильич", "Ильинична"),
    ("Кирилл", "Кириллович", "Кирилловна"),
    ("Константин", "Константинович", "Константиновна"),
    ("Максим", "Максимович", "Максимовна"),
    ("Михаил", "Михайлович", "Михайловна"),
    ("Никита", "Никитич", "Никитична"),
    ("Николай", "Николаевич", "Николаевна"),
    ("Олег", "Олегович", "Олеговна"),
    ("Павел", "Павлович", "Павловна"),
    ("Роман", "Романович", "Романовна"),
    ("Руслан", "Русланович", "Руслановна"),
    ("Сергей", "Сергеевич", "Сергеевна"),
    ("Станислав", "Станиславович", "Станиславовна"),
    ("Степан", "Степанович", "Степановна"),
    ("Тимофей", "Тимофеевич", "Тимофеевна"),
    ("Фёдор", "Фёдорович", "Фёдоровна"),
    ("Юрий", "Юрьевич", "Юрьевна"),
    ("Ярослав", "Ярославович", "Ярославовна"),
)
RU_WOMEN = (
    "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Юлия", "Анна", "Екатерина",
    "Марина", "Анастасия", "Мария", "Евгения", "Надежда", "Людмила", "Галина", "Оксана",
    "Валентина", "Любовь", "Вера", "Лариса", "Алла", "Нина", "Жанна", "Дарья", "Ксения",
    "Виктория", "Кристина", "Алёна", "Елизавета", "Полина", "Вероника",
)  # fmt: skip
RU_BOYS = (
    "Александр", "Артём", "Михаил", "Максим", "Матвей", "Иван", "Дмитрий", "Даниил", "Кирилл",
    "Марк", "Лев", "Тимофей", "Егор", "Никита", "Илья", "Андрей", "Алексей", "Роман", "Фёдор",
    "Сергей", "Владимир", "Ярослав", "Арсений", "Степан", "Глеб", "Мирон", "Тимур", "Платон",
    "Макар", "Савелий", "Георгий", "Денис", "Богдан", "Всеволод", "Святослав", "Семён",
)  # fmt: skip
RU_GIRLS = (
    "София", "Анна", "Мария", "Ева", "Виктория", "Полина", "Алиса", "Варвара", "Александра",
    "Василиса", "Дарья", "Ксения", "Екатерина", "Вероника", "Арина", "Елизавета", "Милана",
    "Кира", "Таисия", "Ульяна", "Софья", "Маргарита", "Валерия", "Злата", "Алёна", "Агата",
    "Есения", "Мирослава", "Стефания", "Яна", "Диана", "Ангелина",
)  # fmt: skip
# Masculine forms; feminine_surname() derives the wife's and daughter's form.
RU_SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв",
    "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв",
    "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев",
    "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев",
    "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов", "Марков", "Миронов",
    "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов", "Гаврилов", "Тихонов",
    "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев", "Фомин", "Чернов", "Абрамов",
    "Мартынов", "Ефимов", "Щербаков", "Назаров", "Калинин", "Исаев", "Быков", "Маслов",
    "Родионов", "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов", "Пономарёв", "Голубев",
    "Кудрявцев", "Прохоров", "Наумов", "Потапов", "Журавлёв", "Овчинников", "Трофимов",
    "Леонов", "Соболев", "Ермаков", "Колесников", "Гончаров", "Емельянов", "Никифоров",
    "Грачёв", "Котов", "Гришин", "Архипов", "Громов", "Кириллов", "Малышев", "Панов",
    "Моисеев", "Румянцев", "Акимов", "Бирюков", "Горбунов", "Галкин", "Скворцов", "Юдин",
    "Нестеров", "Симонов", "Цветков", "Мальцев", "Логинов", "Горшков", "Краснов", "Демидов",
    "Елисеев", "Рыбаков", "Плотников", "Шестаков", "Черепанов", "Ведерников", "Пермяков",
    "Шевченко", "Бондаренко", "Кравченко", "Ткаченко", "Коваленко", "Ковальчук", "Островский",
    "Покровский", "Вишневский", "Высоцкий", "Белецкий", "Толстой",
)  # fmt: skip

KZ_FATHERS = (
    ("Ерлан", "Ерланович", "Ерлановна"),
    ("Нурлан", "Нурланович", "Нурлановна"),
    ("Серик", "Серикович", "Сериковна"),
    ("Марат", "Маратович", "Маратовна"),
    ("Канат", "Канатович", "Канатовна"),
    ("Болат", "Болатович", "Болатовна"),
    ("Асхат", "Асхатович", "Асхатовна"),
    ("Арман", "Арманович", "Армановна"),
    ("Бауыржан", "Бауыржанович", "Бауыржановна"),
    ("Данияр", "Даниярович", "Данияровна"),
    ("Ержан", "Ержанович", "Ержановна"),
    ("Айдар", "Айдарович", "Айдаровна"),
    ("Азамат", "Азаматович", "Азаматовна"),
    ("Дархан", "Дарханович", "Дархановна"),
    ("Ерболат", "Ерболатович", "Ерболатовна"),
    ("Мурат", "Муратович", "Муратовна"),
    ("Нурсултан", "Нурсултанович", "Нурсултановна"),
    ("Талгат", "Талгатович", "Талгатовна"),
    ("Тимур", "Тимурович", "Тимуровна"),
    ("Габит", "Габитович", "Габитовна"),
    ("Жандос", "Жандосович", "Жандосовна"),
    ("Кайрат", "Кайратович", "Кайратовна"),
    ("Максат", "Максатович", "Максатовна"),
    ("Самат", "Саматович", "Саматовна"),
    ("Ринат", "Ринатович", "Ринатовна"),
    ("Бахыт", "Бахытович", "Бахытовна"),
    ("Темирлан", "Темирланович", "Темирлановна"),
    ("Жанибек", "Жанибекович", "Жанибековна"),
    ("Ермек", "Ермекович", "Ермековна"),
    ("Санжар", "Санжарович", "Санжаровна"),
)
KZ_WOMEN = (
    "Айгуль", "Гульнара", "Динара", "Асель", "Жанар", "Сауле", "Гульмира", "Айжан",
    "Салтанат", "Бибигуль", "Мадина", "Индира", "Алия", "Жанна", "Карлыгаш", "Гульжан",
    "Назгуль", "Айнур", "Шолпан", "Зарина", "Гаухар", "Жулдыз", "Эльмира", "Ботагоз",
)  # fmt: skip
KZ_BOYS = (
    "Алихан", "Нурислам", "Айсултан", "Алинур", "Арсен", "Ансар", "Амир", "Данияр", "Ернур",
    "Темирлан", "Алдияр", "Нуржан", "Санжар", "Адиль", "Бекзат", "Мирас", "Диас", "Ильяс",
    "Айбек", "Ерасыл", "Нурдаулет", "Али", "Асанали", "Абылай", "Аян", "Бейбарыс", "Айдос",
    "Алишер", "Рамазан", "Омар",
)  # fmt: skip
KZ_GIRLS = (
    "Айгерим", "Аружан", "Жанель", "Амина", "Айлин", "Медина", "Аяла", "Томирис", "Аяулым",
    "Жансая", "Асель", "Дана", "Камила", "Сабина", "Айша", "Алина", "Инкар", "Адина", "Арай",
    "Айым", "Мадина", "Дильназ", "Ажар", "Малика", "Айару", "Жасмин", "Нурай", "Айдана",
    "Акбота", "Раяна",
)  # fmt: skip
KZ_SURNAMES = (
    "Ахметов", "Нурланов", "Жумабаев", "Касымов", "Омаров", "Сейткалиев", "Серикбаев",
    "Тулегенов", "Муканов", "Байжанов", "Ермеков", "Искаков", "Калиев", "Сарсенбаев", "Абенов",
    "Бекмухамбетов", "Есенов", "Жаксылыков", "Кенжебаев", "Абдрахманов", "Айтбаев",
    "Амантаев", "Бейсенов", "Даулетов", "Дюсенов", "Ескендиров", "Жакупов", "Жунусов",
    "Иманбаев", "Кабдулов", "Карибаев", "Куанышев", "Мамыров", "Мусин", "Нургалиев", "Оспанов",
    "Рахимов", "Садыков", "Смагулов", "Султанов", "Токтаров", "Утепов", "Шаймерденов",
    "Абилов", "Байтурсынов", "Габдуллин", "Ерболатов", "Кусаинов", "Толеубаев", "Хасенов",
    "Шарипов", "Алимжанов", "Бекетов", "Есимов", "Жанибеков", "Калиакбаров", "Сейткали",
)  # fmt: skip


@dataclass(frozen=True)
class NamePool:
    fathers: tuple[tuple[str, str, str], ...]
    women: tuple[str, ...]
    boys: tuple[str, ...]
    girls: tuple[str, ...]
    surnames: tuple[str, ...]


NAME_POOLS = {
    "ru": NamePool(RU_FATHERS, RU_WOMEN, RU_BOYS, RU_GIRLS, RU_SURNAMES),
    "kz": NamePool(KZ_FATHERS, KZ_WOMEN, KZ_BOYS, KZ_GIRLS, KZ_SURNAMES),
}
# In a Kazakh city school about one family in five is Russian.
MIXED_SHARE = {"ru": 0.0, "kz": 0.2}


def feminine_surname(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith(("ский", "цкий")):
        return surname[:-2] + "ая"
    if surname.endswith("ой"):
        return surname[:-2] + "ая"
    return surname  # Шевченко, Ковальчук, Сейткали


_LATIN = (
    "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya "
    "a g k n o u u h i"  # Kazakh letters
)
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі", _LATIN.split(), strict=True))


def translit(text: str) -> str:
    """Latin letters for a login: Шевченко → shevchenko."""
    out = []
    for ch in text.lower():
        if ch in _TRANSLIT:
            out.append("" if _TRANSLIT[ch] == "-" else _TRANSLIT[ch])
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
    return "".join(out)


# --- curriculum -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectSpec:
    name: str
    short_name: str
    hours: tuple[float, ...]  # weekly hours in grades 1..11, 0 = not taught
    specialty: str  # which teacher teaches it from grade 5 (see SPECIALTIES)
    split_from: int = 0  # from this grade each class is split into two groups
    group_label: str = ""  # tells the groups of a split subject apart in one class
    only: str = ""  # "ru" or "kz": only in that calendar's schools
    no_attestation: bool = False
    primary: bool = False  # in grades 1-4 taught by the class's own primary teacher

    def hours_in(self, grade: int) -> Decimal:
        return Decimal(str(self.hours[grade - 1]))


# Close to the federal basic curriculum (ФОП НОО/ООО/СОО, five-day week, 2025): the hours
# differ between schools, so these are one plausible plan, not the only right one.
CURRICULUM = (
    #                                              1  2  3  4  5  6  7  8  9 10 11
    SubjectSpec("Русский язык", "Рус. яз.", (5, 5, 5, 5, 5, 6, 4, 3, 3, 2, 2), "russian",
                primary=True),
    SubjectSpec("Литературное чтение", "Лит. чт.", (4, 4, 4, 3, 0, 0, 0, 0, 0, 0, 0), "russian",
                primary=True),
    SubjectSpec("Литература", "Лит-ра", (0, 0, 0, 0, 3, 3, 2, 2, 3, 3, 3), "russian"),
    SubjectSpec("Иностранный язык (английский)", "Англ. яз.",
                (0, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3), "english", split_from=2, group_label="англ."),
    SubjectSpec("Математика", "Матем.", (4, 4, 4, 4, 5, 5, 0, 0, 0, 0, 0), "maths",
                primary=True),
    SubjectSpec("Алгебра", "Алгебра", (0, 0, 0, 0, 0, 0, 3, 3, 3, 3, 3), "maths"),
    SubjectSpec("Геометрия", "Геом.", (0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2), "maths"),
    SubjectSpec("Вероятность и статистика", "ВиС", (0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1), "maths"),
    SubjectSpec("Информатика", "Информ.", (0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1), "informatics",
                split_from=7, group_label="информ."),
    SubjectSpec("Окружающий мир", "Окр. мир", (2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0), "biology",
                primary=True),
    SubjectSpec("История", "История", (0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2), "history"),
    SubjectSpec("Обществознание", "Общ.", (0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2), "history"),
    SubjectSpec("География", "Геогр.", (0, 0, 0, 0, 1, 1, 2, 2, 2, 1, 1), "geography"),
    SubjectSpec("Биология", "Биол.", (0, 0, 0, 0, 1, 1, 1, 2, 2, 1, 1), "biology"),
    SubjectSpec("Физика", "Физика", (0, 0, 0, 0, 0, 0, 2, 2, 3, 2, 2), "physics"),
    SubjectSpec("Химия", "Химия", (0, 0, 0, 0, 0, 0, 0, 2, 2, 1, 1), "biology"),
    SubjectSpec("Музыка", "Музыка", (1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0), "music"),
    SubjectSpec("Изобразительное искусство", "ИЗО", (1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0), "art",
                primary=True),
    SubjectSpec("Труд (технология)", "Труд", (1, 1, 1, 1, 2, 2, 1, 1, 1, 0, 0), "art",
                primary=True),
    SubjectSpec("Физическая культура", "Физ-ра", (2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2), "pe"),
    SubjectSpec("Основы безопасности и защиты Родины", "ОБЗР",
                (0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1), "pe", only="ru"),
    SubjectSpec("Основы религиозных культур и светской этики", "ОРКСЭ",
                (0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0), "history", only="ru", primary=True),
    SubjectSpec("Казахский язык", "Каз. яз.", (2, 2, 2, 2, 3, 3, 2, 2, 2, 2, 2), "kazakh",
                only="kz"),
    SubjectSpec("Казахская литература", "Каз. лит.", (0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1),
                "kazakh", only="kz"),
    SubjectSpec("Финансовая грамотность", "Фин. гр.", (0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1),
                "history", no_attestation=True),
)  # fmt: skip

# What a subject teacher teaches, and how his position reads.
SPECIALTIES = {
    "primary": "учитель начальных классов",
    "russian": "учитель русского языка и литературы",
    "english": "учитель английского языка",
    "maths": "учитель математики",
    "informatics": "учитель информатики",
    "history": "учитель истории и обществознания",
    "geography": "учитель географии",
    "biology": "учитель биологии и химии",
    "physics": "учитель физики",
    "music": "учитель музыки",
    "art": "учитель ИЗО и труда (технологии)",
    "pe": "учитель физической культуры и ОБЗР",
    "kazakh": "учитель казахского языка и литературы",
}
# Weekly hours that make one teacher's load (a full rate is 18, most teach a bit more).
HOURS_PER_TEACHER = 20

# Two shifts: grade 1 and the graduating grades study in the first (sanitary rules); the
# second takes the primary grades 2-4 and grade 6.
SECOND_SHIFT_GRADES = (2, 3, 4, 6)
# lesson 1 start, then the break after each lesson; lessons are 45 minutes
BELLS = {
    1: (dt.time(8, 0), (10, 20, 20, 10, 10, 10)),
    2: (dt.time(13, 0), (10, 20, 10, 10, 10, 10)),
}
LESSON_MINUTES = 45


def bell_times(shift: int) -> list[tuple[int, dt.time, dt.time]]:
    start, breaks = BELLS[shift]
    moment = dt.datetime.combine(dt.date(2000, 1, 1), start)
    bells = []
    for number in range(1, len(breaks) + 2):
        end = moment + dt.timedelta(minutes=LESSON_MINUTES)
        bells.append((number, moment.time(), end.time()))
        if number <= len(breaks):
            moment = end + dt.timedelta(minutes=breaks[number - 1])
    return bells


# Main building rooms with a purpose; the rest are ordinary classrooms.
SPECIAL_ROOMS = {
    "101": ("Мастерская", 20),
    "102": ("Кабинет ОБЗР", 30),
    "105": ("Библиотека", 30),
    "107": ("Кабинет педагога-психолога", 8),
    "201": ("Кабинет физики", 30),
    "202": ("Кабинет химии", 30),
    "203": ("Кабинет биологии", 30),
    "301": ("Кабинет информатики", 15),
    "302": ("Кабинет информатики", 15),
    "303": ("Кабинет музыки", 30),
    "304": ("Кабинет ИЗО", 30),
}

# --- calendar ---------------------------------------------------------------------------------


def year_start_for(today: dt.date) -> int:
    """The calendar year the academic year of `today` starts in. From June the coming year
    is the current one, as schedule.selectors.current_year has it."""
    return today.year if today.month >= 6 else today.year - 1


@dataclass(frozen=True)
class Calendar:
    name: str
    starts_on: dt.date
    ends_on: dt.date
    quarters: tuple[tuple[dt.date, dt.date], ...]
    halves: tuple[tuple[dt.date, dt.date], ...]
    # name, kind ("vacation"/"holiday"), first day, last day, grades ("" = all)
    holidays: tuple[tuple[str, str, dt.date, dt.date, str], ...]


def _on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def weekday_before(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _next_day(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1)


SAT, MON, SUN = 5, 0, 6

PUBLIC_HOLIDAYS = {
    # name, month, day, days
    "ru": (
        ("День народного единства", 11, 4, 1),
        ("День защитника Отечества", 2, 23, 1),
        ("Международный женский день", 3, 8, 1),
        ("Праздник Весны и Труда", 5, 1, 1),
        ("День Победы", 5, 9, 1),
    ),
    "kz": (
        ("День Республики", 10, 25, 1),
        ("День Независимости", 12, 16, 1),
        ("Международный женский день", 3, 8, 1),
        ("Наурыз мейрамы", 3, 21, 3),
        ("Праздник единства народа Казахстана", 5, 1, 1),
        ("День защитника Отечества", 5, 7, 1),
        ("День Победы", 5, 9, 1),
    ),
}


def school_calendar(start_year: int, kind: str) -> Calendar:
    """Календарный учебный график: the Russian unified calendar (quarters of about 8, 8,
    10 and 8 weeks with week-long autumn and spring vacations) or the Kazakh one."""
    y, y1 = start_year, start_year + 1
    starts_on, ends_on = dt.date(y, 9, 1), dt.date(y1, 5, 31)
    winter = (dt.date(y, 12, 31), _on_or_after(dt.date(y1, 1, 8), SUN))
    if kind == "kz":
        autumn_start = _on_or_after(dt.date(y, 10, 26), MON)
        autumn = (autumn_start, autumn_start + dt.timedelta(days=6))
        spring = (dt.date(y1, 3, 19), dt.date(y1, 3, 29))
        extra_start = _on_or_after(dt.date(y1, 2, 8), MON)
        last_day = dt.date(y1, 5, 25)
    else:
        autumn_start = _on_or_after(dt.date(y, 10, 24), SAT)
        autumn = (autumn_start, autumn_start + dt.timedelta(days=8))
        spring_start = _on_or_after(dt.date(y1, 3, 21), SAT)
        spring = (spring_start, spring_start + dt.timedelta(days=8))
        extra_start = _on_or_after(dt.date(y1, 2, 14), SAT)
        last_day = dt.date(y1, 5, 26)
    if last_day.weekday() >= 5:
        last_day = weekday_before(last_day)
    quarters = (
        (starts_on, weekday_before(autumn[0])),
        (_next_day(autumn[1]), weekday_before(winter[0])),
        (_next_day(winter[1]), weekday_before(spring[0])),
        (_next_day(spring[1]), last_day),
    )
    halves = ((quarters[0][0], quarters[1][1]), (quarters[2][0], quarters[3][1]))
    extra_days = 8 if kind == "ru" else 6
    holidays = [
        ("Осенние каникулы", "vacation", *autumn, ""),
        ("Зимние каникулы", "vacation", *winter, ""),
        ("Весенние каникулы", "vacation", *spring, ""),
        (
            "Дополнительные каникулы для первоклассников",
            "vacation",
            extra_start,
            extra_start + dt.timedelta(days=extra_days),
            "1",
        ),
    ]
    for name, month, day, days in PUBLIC_HOLIDAYS[kind]:
        first = dt.date(y if month >= 9 else y1, month, day)
        last = first + dt.timedelta(days=days - 1)
        # a holiday falling on a weekend moves to the next Monday
        if last.weekday() >= 5:
            last = _on_or_after(last, MON)
        holidays.append((name, "holiday", first, last, ""))
    holidays.sort(key=lambda h: (h[2], h[0]))
    return Calendar(f"{y}/{y1}", starts_on, ends_on, quarters, halves, tuple(holidays))


# --- week and timetable -----------------------------------------------------------------------


def study_days(calendar: str, grade: int) -> int:
    """Five-day weeks, except grades 5-11 of the Kazakh schools: their curriculum with the
    Kazakh language (up to 35 hours) does not fit five days of at most 6-7 lessons."""
    return 6 if calendar == "kz" and grade >= 5 else 5


def lessons_per_day(grade: int) -> tuple[int, int]:
    """(usual, most) lessons a day (СанПиН 1.2.3685-21): grade 1 four, once a week five;
    grades 2-4 five, once six; grades 5-6 six, once seven; grades 7-11 seven."""
    if grade == 1:
        return 4, 5
    if grade <= 4:
        return 5, 6
    if grade <= 6:
        return 6, 7
    return 7, 7


# Subject → the rooms it is taught in, preferred first (those the school has); `False` after
# them: no other room will do (physical education needs a gym). Grades 1-4 have their
# primary subjects in their own classroom.
SUBJECT_ROOMS = {
    "Физическая культура": (("С1", *(f"С{n}" for n in range(3, 10)), "С2"), False),
    "Физика": (("201",), True),
    "Химия": (("202",), True),
    "Биология": (("203",), True),
    "Информатика": (("301", "302"), True),
    "Музыка": (("303",), True),
    "Изобразительное искусство": (("304",), True),
    "Труд (технология)": (("101",), True),
    "Основы безопасности и защиты Родины": (("102",), True),
}

# Why a lesson went to a substitute, and why one was cancelled (R-TT-3).
SUBSTITUTION_REASONS = (
    "Больничный учителя",
    "Больничный учителя",
    "Курсы повышения квалификации",
    "Учитель сопровождает учащихся на олимпиаду",
    "Учитель в жюри муниципального этапа олимпиады",
)
NO_SUBSTITUTE = "замены нет"
CANCELLATIONS = (
    # reason, whole day (else the lessons from the 4th on)
    ("Карантин по ОРВИ в классе", True),
    ("Экскурсия класса в краеведческий музей", False),
    ("Медосмотр класса в детской поликлинике", False),
    ("Выездное мероприятие класса (театр)", False),
)


def minutes(moment: dt.time) -> int:
    return moment.hour * 60 + moment.minute


@dataclass(frozen=True)
class Part:
    """One group of a course meeting in a slot: its teacher and the rooms that will do."""

    group: object
    teacher: object
    rooms: tuple  # preferred, in order
    fallback: tuple  # any of these will do when the preferred are taken


@dataclass(eq=False)
class Course:
    """What the timetable places `hours` times a week: one lesson of a class, or the
    parallel lessons of its subgroups of one subject (each with its teacher and room)."""

    klass: object
    subject: str
    hours: int
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class ClassWeek:
    days: int  # study days, 5 or 6
    usual: int  # lessons a day it should not pass
    most: int  # lessons a day it may not pass
    bells: dict  # lesson number -> (start, end) in minutes from midnight


@dataclass(frozen=True)
class Placed:
    course: Course
    day: int  # ISO weekday
    number: int
    rooms: tuple  # one per part


@dataclass
class Placement:
    placed: list[Placed]
    unplaced: list[Course]  # one item per lesson that found no slot
    gaps: int  # free lessons between two lessons of a class ("окна")


def free_at(busy, start: int, end: int) -> bool:
    """No (start, end) interval of `busy` overlaps [start, end)."""
    return all(end <= s or e <= start for s, e in busy)


class _Grid:
    """Who and what is taken when: a class's lessons by day and number, a teacher's and a
    room's by day as time intervals (the two shifts' bells overlap)."""

    def __init__(self, weeks: dict):
        self.weeks = weeks
        self.slots: dict[tuple, dict[int, Placed]] = {}
        self.teachers: dict[tuple, dict[int, tuple[int, int]]] = {}
        self.rooms: dict[tuple, dict[int, tuple[int, int]]] = {}
        self.lessons_of: dict[tuple, dict[int, Placed]] = {}  # (teacher, day) -> lessons

    def class_day(self, klass, day) -> dict[int, Placed]:
        return self.slots.setdefault((klass, day), {})

    def teacher_free(self, course: Course, day: int, start: int, end: int) -> bool:
        return all(
            free_at(self.teachers.get((p.teacher, day), {}).values(), start, end)
            for p in course.parts
        )

    def rooms_for(self, course: Course, day: int, start: int, end: int) -> tuple | None:
        chosen: list = []
        for part in course.parts:
            room = next(
                (
                    r
                    for r in (*part.rooms, *part.fallback)
                    if r not in chosen
                    and free_at(self.rooms.get((r, day), {}).values(), start, end)
                ),
                None,
            )
            if room is None:
                return None
            chosen.append(room)
        return tuple(chosen)

    def fits(self, course: Course, day: int, number: int) -> tuple | None:
        """The rooms for the course in the slot, or None when it does not fit."""
        week = self.weeks[course.klass]
        slots = self.class_day(course.klass, day)
        if number in slots or len(slots) >= week.most:
            return None
        start, end = week.bells[number]
        if not self.teacher_free(course, day, start, end):
            return None
        return self.rooms_for(course, day, start, end)

    def best(self, course: Course, day_order: list[int]) -> tuple | None:
        """(day, number, rooms) of the best slot: no gap in the class's day, no second
        lesson of the subject on a day, days below the usual number of lessons, early
        lessons; ties go to the earlier day of `day_order`."""
        week = self.weeks[course.klass]
        per_day = -(-course.hours // week.days)
        best = None
        for rank, day in enumerate(day_order):
            if day > week.days:
                continue
            slots = self.class_day(course.klass, day)
            if len(slots) >= week.most:
                continue
            first_free = next(n for n in range(1, len(week.bells) + 2) if n not in slots)
            same = sum(1 for p in slots.values() if p.course.subject == course.subject)
            for number in range(1, min(week.most, len(week.bells)) + 1):
                if number in slots:
                    continue
                score = (
                    40 * (number - first_free)
                    + 30 * max(0, same + 1 - per_day)
                    + 5 * same
                    + 60 * (len(slots) + 1 > week.usual)
                    + 3 * len(slots)
                    + number
                )
                key = (score, rank, number)
                if best is not None and key >= best[0]:
                    continue
                start, end = week.bells[number]
                if not self.teacher_free(course, day, start, end):
                    continue
                rooms = self.rooms_for(course, day, start, end)
                if rooms is not None:
                    best = (key, day, number, rooms)
        return best and best[1:]

    def put(self, course: Course, day: int, number: int, rooms: tuple) -> Placed:
        placed = Placed(course, day, number, rooms)
        time = self.weeks[course.klass].bells[number]
        self.class_day(course.klass, day)[number] = placed
        for part, room in zip(course.parts, rooms, strict=True):
            self.teachers.setdefault((part.teacher, day), {})[id(placed)] = time
            self.lessons_of.setdefault((part.teacher, day), {})[id(placed)] = placed
            self.rooms.setdefault((room, day), {})[id(placed)] = time
        return placed

    def take(self, placed: Placed) -> None:
        del self.slots[(placed.course.klass, placed.day)][placed.number]
        for part, room in zip(placed.course.parts, placed.rooms, strict=True):
            del self.teachers[(part.teacher, placed.day)][id(placed)]
            del self.lessons_of[(part.teacher, placed.day)][id(placed)]
            del self.rooms[(room, placed.day)][id(placed)]

    def blocking(self, course: Course, day: int, number: int) -> list[Placed]:
        """The lessons of the course's teachers at the time of the slot."""
        start, end = self.weeks[course.klass].bells[number]
        found = {}
        for part in course.parts:
            for key, other in self.lessons_of.get((part.teacher, day), {}).items():
                s, e = self.weeks[other.course.klass].bells[other.number]
                if s < end and start < e:
                    found[key] = other
        return list(found.values())

    def repair(self, course: Course, day_order: list[int]) -> bool:
        """Place one lesson with no slot free for it by moving one other lesson: one of its
        own class to another slot, or one of its teacher's in another class."""
        week = self.weeks[course.klass]
        for day in range(1, week.days + 1):
            for number in range(1, min(week.most, len(week.bells)) + 1):
                taken = self.class_day(course.klass, day).get(number)
                movable = [taken] if taken else self.blocking(course, day, number)
                if len(movable) != 1:
                    continue
                other = movable[0]
                self.take(other)
                rooms = self.fits(course, day, number)
                if rooms is not None:
                    mine = self.put(course, day, number, rooms)
                    elsewhere = self.best(other.course, day_order)
                    if elsewhere is not None:
                        self.put(other.course, *elsewhere)
                        return True
                    self.take(mine)
                self.put(other.course, other.day, other.number, other.rooms)
        return False


REPAIRS = 30


def timetable_place(courses: list[Course], weeks: dict, rng) -> Placement:
    """A clash-free weekly timetable by greedy first-fit: round by round (the first lesson
    of every course, then the second...), the hardest courses first in each round (the
    parallel subgroups, those that need a gym, those of the busiest teachers), each lesson
    in the best-scoring slot (see _Grid.best) where the class, every teacher and a room
    are free. A lesson left without a slot is placed by moving one other lesson where
    that works. Deterministic for a given `rng`; `weeks` maps a class to its ClassWeek."""
    classes_of: dict[object, set] = {}
    hours_of: dict[object, int] = {}
    for course in courses:
        for part in course.parts:
            classes_of.setdefault(part.teacher, set()).add(id(course.klass))
            hours_of[part.teacher] = hours_of.get(part.teacher, 0) + course.hours

    def difficulty(course: Course):
        # a class's own primary teacher meets no other class: the easiest to place
        spread = max(
            hours_of[p.teacher] if len(classes_of[p.teacher]) > 1 else 0 for p in course.parts
        )
        gym = any(not p.fallback for p in course.parts)
        return (-len(course.parts), -gym, -spread)

    ties = {id(c): rng.random() for c in courses}
    days = max((w.days for w in weeks.values()), default=6)
    day_orders = {id(c): rng.sample(range(1, days + 1), days) for c in courses}
    lessons = sorted(
        (
            (n, difficulty(c), ties[id(c)], i, c)
            for i, c in enumerate(courses)
            for n in range(c.hours)
        ),
        key=lambda x: x[:4],
    )
    grid = _Grid(weeks)
    unplaced: list[Course] = []
    for *_key, course in lessons:
        slot = grid.best(course, day_orders[id(course)])
        if slot is not None:
            grid.put(course, *slot)
        # repairs cost time: a school with far too few rooms or teachers gets a few only
        elif len(unplaced) >= REPAIRS or not grid.repair(course, day_orders[id(course)]):
            unplaced.append(course)

    placed = [p for slots in grid.slots.values() for p in slots.values()]
    gaps = sum(max(s) - len(s) for s in grid.slots.values() if s)
    return Placement(placed, unplaced, gaps)
