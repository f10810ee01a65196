"""A seeded generator of realistic vendor data, and the writer of the contract's files.

`generate_dataset` builds offices in real Chinese cities, engineers with mixed skills, hotel
customers spread over city, suburban and out-of-town zones (POLICY.md 4) with mixed
licences, validity (POLICY.md 1) and versions (POLICY.md 2), and a dispatcher's open backlog
of requests as of `now`. The same seed always gives the same data (one `random.Random`, no
iteration over unordered sets). `write_dataset` writes it in the contract's column order.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from scheduling.contract import CONTRACT, CalendarDay, to_row
from scheduling.geo import haversine_km
from scheduling.model import (
    Channel,
    Customer,
    Engineer,
    Kind,
    Level,
    Office,
    PaidPeriod,
    ServiceRequest,
    Urgency,
)

SKILLS = ("pms", "pos", "interface", "database", "upgrade", "training", "network")
CUSTOM_MODULES = ("banquet", "spa", "golf", "loyalty", "minibar")
# Distance bands from the office, kept clear of the policy's 30/80 km borders (POLICY.md 4).
CITY_KM = (1.0, 25.0)
SUBURBAN_KM = (32.0, 78.0)
OUT_OF_TOWN_KM = (85.0, 400.0)


@dataclass(frozen=True)
class Dataset:
    """Everything a vendor hands fieldplan, as domain objects."""

    offices: tuple[Office, ...]
    engineers: tuple[Engineer, ...]
    customers: tuple[Customer, ...]
    requests: tuple[ServiceRequest, ...]
    office_calendar: tuple[CalendarDay, ...] = ()


@dataclass(frozen=True)
class _Place:
    name: str  # English, as on the customer's `city`
    cn: str  # Chinese, for names and addresses
    lat: float
    lon: float


@dataclass(frozen=True)
class _Site:
    """An office city with suburban places (30-80 km) and out-of-town cities (> 80 km)."""

    code: str
    city: _Place
    suburbs: tuple[_Place, ...]
    towns: tuple[_Place, ...]


_SITES = (
    _Site(
        "GZ",
        _Place("Guangzhou", "广州", 23.1291, 113.2644),
        (
            _Place("Guangzhou", "花都", 23.4500, 113.2300),
            _Place("Guangzhou", "从化", 23.5486, 113.5865),
            _Place("Guangzhou", "增城", 23.2910, 113.8107),
            _Place("Guangzhou", "南沙", 22.8016, 113.5250),
            _Place("Dongguan", "东莞", 23.0205, 113.7518),
        ),
        (
            _Place("Zhuhai", "珠海", 22.2710, 113.5767),
            _Place("Shenzhen", "深圳", 22.5431, 114.0579),
            _Place("Shaoguan", "韶关", 24.8104, 113.5972),
            _Place("Shantou", "汕头", 23.3541, 116.6820),
        ),
    ),
    _Site(
        "SH",
        _Place("Shanghai", "上海", 31.2304, 121.4737),
        (
            _Place("Shanghai", "松江", 31.0000, 121.2000),
            _Place("Shanghai", "青浦", 31.1497, 121.1242),
            _Place("Shanghai", "金山", 30.7417, 121.3420),
            _Place("Shanghai", "奉贤", 30.9180, 121.4740),
        ),
        (
            _Place("Suzhou", "苏州", 31.3200, 120.5500),
            _Place("Wuxi", "无锡", 31.4912, 120.3119),
            _Place("Hangzhou", "杭州", 30.2741, 120.1551),
            _Place("Ningbo", "宁波", 29.8683, 121.5440),
            _Place("Nanjing", "南京", 32.0603, 118.7969),
        ),
    ),
    _Site(
        "CD",
        _Place("Chengdu", "成都", 30.5728, 104.0668),
        (
            _Place("Chengdu", "都江堰", 30.9884, 103.6470),
            _Place("Chengdu", "简阳", 30.4110, 104.5470),
            _Place("Chengdu", "邛崃", 30.4100, 103.4640),
            _Place("Chengdu", "彭州", 30.9900, 103.9580),
        ),
        (
            _Place("Mianyang", "绵阳", 31.4675, 104.6796),
            _Place("Leshan", "乐山", 29.5521, 103.7656),
            _Place("Ya'an", "雅安", 29.9805, 103.0133),
            _Place("Chongqing", "重庆", 29.5630, 106.5516),
        ),
    ),
    _Site(
        "BJ",
        _Place("Beijing", "北京", 39.9042, 116.4074),
        (
            _Place("Beijing", "怀柔", 40.3160, 116.6320),
            _Place("Beijing", "密云", 40.3770, 116.8430),
            _Place("Beijing", "平谷", 40.1400, 117.1210),
            _Place("Beijing", "房山", 39.7350, 115.9930),
        ),
        (
            _Place("Tianjin", "天津", 39.3434, 117.3616),
            _Place("Baoding", "保定", 38.8738, 115.4645),
            _Place("Tangshan", "唐山", 39.6300, 118.1800),
            _Place("Zhangjiakou", "张家口", 40.7670, 114.8860),
        ),
    ),
    _Site(
        "WH",
        _Place("Wuhan", "武汉", 30.5928, 114.3055),
        (
            _Place("Wuhan", "黄陂", 30.8820, 114.3750),
            _Place("Wuhan", "新洲", 30.8420, 114.8010),
            _Place("Ezhou", "鄂州", 30.3900, 114.8950),
        ),
        (
            _Place("Yichang", "宜昌", 30.6920, 111.2865),
            _Place("Jingzhou", "荆州", 30.3350, 112.2410),
            _Place("Xianning", "咸宁", 29.8000, 114.3000),
        ),
    ),
)
MAX_OFFICES = len(_SITES)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁宋郑谢韩唐冯"
_GIVEN = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "志强", "晓东", "海燕", "文博", "子涵",
)  # fmt: skip
_HOTEL_WORDS = (
    "金源", "华庭", "海景", "锦绣", "东方", "君澜", "国宾", "星河", "悦榕", "翠湖", "紫荆",
    "天元", "明珠", "凯旋", "富丽", "长乐", "嘉禾", "云栖", "望江", "银都", "碧水", "瑞丰",
)  # fmt: skip
_HOTEL_TYPES = ("大酒店", "宾馆", "酒店", "度假酒店", "国际酒店", "商务酒店", "花园酒店")
_ROADS = (
    "人民路", "中山路", "解放路", "建设路", "滨江路", "新华路", "环城路", "沿江路", "学府路",
    "青年路", "长江路", "和平路", "迎宾大道", "世纪大道",
)  # fmt: skip
_TITLES = ("经理", "主管", "先生", "小姐")


def _offset(lat: float, lon: float, km: float, bearing: float) -> tuple[float, float]:
    """A point `km` away from (lat, lon) towards `bearing` (radians); flat-earth is plenty."""
    dlat = km * math.cos(bearing) / 110.574
    dlon = km * math.sin(bearing) / (111.320 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _weighted(rng: random.Random, table: tuple[tuple[object, float], ...]) -> object:
    values = [value for value, _ in table]
    weights = [weight for _, weight in table]
    return rng.choices(values, weights)[0]


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))


def _offices(count: int) -> tuple[Office, ...]:
    if not 1 <= count <= MAX_OFFICES:
        raise ValueError(f"offices must be between 1 and {MAX_OFFICES}, got {count}")
    return tuple(
        Office(
            office_id=site.code,
            name=f"{site.city.cn}服务中心",
            city=site.city.name,
            calendar="CN",
            lat=site.city.lat,
            lon=site.city.lon,
        )
        for site in _SITES[:count]
    )


def _engineers(rng: random.Random, count: int, offices: tuple[Office, ...]) -> list[Engineer]:
    engineers = []
    extras = SKILLS[1:]
    for index in range(count):
        office = offices[index % len(offices)]
        rank = index // len(offices)  # the engineer's number inside the office
        # Everyone knows the PMS; the office's n-th engineer surely has the n-th other skill,
        # so each office covers every skill as soon as it has six engineers.
        skills = {"pms", extras[rank % len(extras)]}
        skills.update(rng.sample(extras, rng.randint(1, 3)))
        home_lat = home_lon = None
        if rng.random() < 0.6:
            home_lat, home_lon = _offset(
                office.lat, office.lon, rng.uniform(3, 15), rng.uniform(0, 2 * math.pi)
            )
        number = index + 1
        engineers.append(
            Engineer(
                engineer_id=f"E{number:03d}",
                name=_person(rng),
                office_id=office.office_id,
                skills=frozenset(skills),
                email=f"e{number:03d}@service.example.com",
                phone=_phone(rng),
                home_lat=home_lat,
                home_lon=home_lon,
            )
        )
    return engineers


def _version(rng: random.Random) -> str:
    major = _weighted(rng, ((9, 0.7), (8, 0.22), (7, 0.08)))
    medium = rng.randint(0, 2 if major == 9 else 5)
    return f"{major}.{medium}{rng.randint(0, 9)}"


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _validity(
    rng: random.Random, today: date, expired: bool
) -> tuple[date, tuple[PaidPeriod, ...]]:
    """A purchase date and paid periods: renewed yearly up to today, or lapsed (POLICY.md 1)."""
    if expired:
        purchase = today - timedelta(days=rng.randint(400, 5 * 365))
    else:
        purchase = today - timedelta(days=rng.randint(30, 6 * 365))
    periods = []
    year = 1
    while (start := _years_after(purchase, year)) <= today:
        end = _years_after(purchase, year + 1) - timedelta(days=1)
        if expired and end >= today:
            break  # the customer did not renew this year's period
        periods.append(PaidPeriod(start, end))
        year += 1
    if expired and rng.random() < 0.4:
        periods = periods[: rng.randint(0, len(periods))]  # lapsed earlier, or never renewed
    return purchase, tuple(periods)


def _customers(
    rng: random.Random, count: int, offices: tuple[Office, ...], today: date
) -> list[Customer]:
    sites = {site.code: site for site in _SITES}
    customers = []
    unlicensed = {rng.randrange(count) for _ in range(max(1, count // 40))} if count >= 5 else set()
    for index in range(count):
        site = sites[offices[index % len(offices)].office_id]
        zone = _weighted(rng, (("city", 0.55), ("suburban", 0.25), ("out_of_town", 0.2)))
        if zone == "city":
            place = site.city
            lat, lon = _offset(place.lat, place.lon, rng.uniform(*CITY_KM), rng.uniform(0, 6.283))
            district = place.cn
        else:
            place = rng.choice(site.suburbs if zone == "suburban" else site.towns)
            low, high = SUBURBAN_KM if zone == "suburban" else OUT_OF_TOWN_KM
            lat, lon = place.lat, place.lon
            for _ in range(10):  # jitter around the place, staying inside the zone's band
                spot = _offset(place.lat, place.lon, rng.uniform(0, 5), rng.uniform(0, 6.283))
                if low < haversine_km(site.city.lat, site.city.lon, *spot) <= high:
                    lat, lon = spot
                    break
            district = place.cn
        purchase, periods = _validity(rng, today, expired=rng.random() < 0.12)
        modules = (
            frozenset(rng.sample(CUSTOM_MODULES, rng.randint(1, 2)))
            if rng.random() < 0.12
            else frozenset()
        )
        surname = rng.choice(_SURNAMES)
        customers.append(
            Customer(
                customer_id=f"C{index + 1:04d}",
                name=f"{district}{rng.choice(_HOTEL_WORDS)}{rng.choice(_HOTEL_TYPES)}",
                city=place.name,
                address=f"{district}{rng.choice(_ROADS)}{rng.randint(1, 399)}号",
                lat=lat,
                lon=lon,
                level=_weighted(rng, ((Level.A, 0.2), (Level.B, 0.45), (Level.C, 0.35))),
                licensed=index not in unlicensed,
                purchase_date=purchase,
                product_version=_version(rng),
                office_id=site.code,
                paid_periods=periods,
                custom_modules=modules,
                upgrade_agreement=rng.random() < 0.15,
                contact_name=surname + rng.choice(_TITLES),
                contact_phone=_phone(rng),
            )
        )
    return customers


def _weekdays_before(day: date, count: int) -> list[date]:
    days = []
    while len(days) < count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _at(day: date, rng: random.Random, now: datetime, start: int = 9, end: int = 18) -> datetime:
    moment = datetime.combine(day, time(rng.randint(start, end - 1), rng.choice((0, 15, 30, 45))))
    return moment.replace(tzinfo=now.tzinfo)


def _weekdays_from(day: date, count: int) -> list[date]:
    days = []
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _service_received(rng: random.Random, now: datetime, arrival_days: int = 0) -> datetime:
    """On-site work comes in over the last few working days, most of it on the last one.

    With `arrival_days`, a steady flow instead: evenly over the two working days before
    `now` (the open backlog) and the first `arrival_days` working days from `now` on.
    """
    if arrival_days:
        days = _weekdays_before(now.date(), 2) + _weekdays_from(now.date(), arrival_days)
        moment = _at(rng.choice(days), rng, now)
        if moment.date() == now.date() and moment < now:  # today's early calls came at 8
            moment = now
        return moment
    recent = _weekdays_before(now.date(), 3)
    roll = rng.random()
    if roll < 0.08:  # the weekend web form and IM, or early this morning
        back = rng.uniform(1, 60)
        return (now - timedelta(hours=back)).replace(second=0, microsecond=0)
    day = recent[0] if roll < 0.7 else recent[1] if roll < 0.97 else recent[2]
    return _at(day, rng, now)


def _planned_received(rng: random.Random, now: datetime) -> datetime:
    """Trainings were asked for over the two previous weeks."""
    return _at(rng.choice(_weekdays_before(now.date(), 10)), rng, now)


def _window(
    rng: random.Random, today: date, lead: tuple[int, int], length: int
) -> tuple[date, date]:
    start = _weekday_on_or_after(today + timedelta(days=rng.randint(*lead)))
    return start, start + timedelta(days=length)


# What each kind of service call needs, with how often: most calls are about the PMS itself,
# specialists (database, network) are needed less often (and engineers are fewer).
_SERVICE_SKILLS = {
    "install": (
        (("pos",), 0.4), (("interface",), 0.3), (("pms", "interface"), 0.15), (("network",), 0.15)
    ),
    "configure": ((("pms",), 0.5), (("pos",), 0.25), (("interface",), 0.15), (("network",), 0.1)),
    "troubleshoot": (
        (("pms",), 0.4), (("pos",), 0.2), (("database",), 0.15), (("network",), 0.1),
        (("interface",), 0.15),
    ),
}  # fmt: skip
_NOTES = {
    "install": ("新增收银点安装", "install a new POS terminal", "门锁接口安装"),
    "configure": ("房价代码配置", "configure the night audit", "set up a new outlet"),
    "troubleshoot": ("前台无法退房", "night audit stops halfway", "接口数据不同步", "printer lost"),
    "upgrade": ("版本升级", "upgrade before the holiday season"),
    "training": ("新员工培训", "front-office training for new staff", "财务模块培训"),
    "health_check": ("年度系统巡检", "yearly health check", "数据库巡检"),
}


def _upgrade_target(
    rng: random.Random, customer: Customer, scenario: str | None
) -> tuple[str, str | None]:
    major, _, rest = customer.product_version.partition(".")
    choice = scenario or _weighted(rng, (("minor", 0.6), ("major", 0.3), ("custom", 0.1)))
    module = None
    if choice == "custom" and customer.custom_modules:
        module = sorted(customer.custom_modules)[0]  # its own version follows the product's
    elif choice == "major":
        return f"{int(major) + 1}.00", None
    medium, minor = int(rest[0]), int(rest[1])
    if minor < 9:
        return f"{major}.{medium}{rng.randint(minor + 1, 9)}", module
    if medium < 9:
        return f"{major}.{medium + 1}0", module
    return f"{int(major) + 1}.00", module


_SCENARIO_KINDS = {
    "emergency": Kind.ONSITE_SERVICE,
    "training3": Kind.TRAINING,
    "minor": Kind.ONSITE_SERVICE,
    "major": Kind.ONSITE_SERVICE,
    "custom": Kind.ONSITE_SERVICE,
}


def _request(
    rng: random.Random,
    number: int,
    customer: Customer,
    now: datetime,
    scenario: str | None = None,
    arrival_days: int = 0,
) -> ServiceRequest:
    today = now.date()
    kind = _SCENARIO_KINDS.get(scenario or "")
    if kind is None:
        kind = _weighted(
            rng,
            ((Kind.ONSITE_SERVICE, 0.7), (Kind.TRAINING, 0.15), (Kind.HEALTH_CHECK, 0.15)),
        )
    urgency = _weighted(
        rng, ((Urgency.P1, 0.05), (Urgency.P2, 0.25), (Urgency.P3, 0.45), (Urgency.P4, 0.25))
    )
    channel = _weighted(
        rng,
        ((Channel.WEB, 0.35), (Channel.HOTLINE, 0.4), (Channel.IM, 0.15), (Channel.REMOTE, 0.1)),
    )
    fields: dict = {}
    if kind is Kind.ONSITE_SERVICE:
        subtype = _weighted(
            rng,
            (("troubleshoot", 0.45), ("configure", 0.2), ("install", 0.2), ("upgrade", 0.15)),
        )
        if scenario == "emergency":
            subtype, urgency, channel = "troubleshoot", Urgency.P1, Channel.HOTLINE
        elif scenario in ("minor", "major", "custom"):
            subtype = "upgrade"
        received = _service_received(rng, now, arrival_days)
        if scenario == "emergency":  # the weekend emergency line rang last night (POLICY.md 4)
            received = (now - timedelta(hours=rng.uniform(10, 20))).replace(second=0, microsecond=0)
        duration = rng.choice(("1", "1.5", "2", "2", "2.5", "3", "4"))
        if subtype == "upgrade":
            target, module = _upgrade_target(rng, customer, scenario)
            fields.update(target_version=target, module=module, required_skills={"upgrade"})
            if rng.random() < 0.3:
                fields["required_skills"] = {"upgrade", "database"}
            duration = rng.choice(("3", "4"))
        else:
            fields["required_skills"] = set(_weighted(rng, _SERVICE_SKILLS[subtype]))
        fields["backup_confirmed"] = rng.random() < 0.6
        emergency = scenario == "emergency" or (
            urgency is Urgency.P1 and subtype == "troubleshoot" and rng.random() < 0.3
        )
        fields["emergency"] = emergency
    elif kind is Kind.TRAINING:
        subtype = "training"
        received = _planned_received(rng, now)
        sessions = 3 if scenario == "training3" else _weighted(rng, ((1, 0.5), (2, 0.3), (3, 0.2)))
        start, end = _window(rng, today, (2, 8), sessions + rng.randint(2, 6))
        duration = "7"  # a full working day per session
        skills = {"training"} | ({"pms"} if rng.random() < 0.5 else set())
        fields.update(sessions=sessions, window_start=start, window_end=end, required_skills=skills)
        urgency = rng.choice((Urgency.P3, Urgency.P4))
    else:
        # A health check runs on the zone's response clock like any on-site visit (only a
        # training is governed by its window, issue 3), so it was logged in the last few
        # working days; half of the customers name the days they accept, from today on.
        subtype = "health_check"
        received = _service_received(rng, now, arrival_days)
        duration = rng.choice(("2", "3", "4"))
        fields["required_skills"] = {_weighted(rng, (("pms", 0.6), ("database", 0.4)))}
        if rng.random() < 0.5:
            logged = max(today, received.date())
            start, end = _window(rng, logged, (0, 0), rng.randint(4, 9))
            fields.update(window_start=start, window_end=end)
        urgency = rng.choice((Urgency.P3, Urgency.P4))
    fields["required_skills"] = frozenset(fields.get("required_skills", ()))
    return ServiceRequest(
        request_ref=f"SR-{number:05d}",
        customer_id=customer.customer_id,
        kind=kind,
        subtype=subtype,
        urgency=urgency,
        channel=channel,
        received_at=received if arrival_days else min(received, now),
        duration_hours=Decimal(duration),
        notes=rng.choice(_NOTES[subtype]),
        **fields,
    )


def generate_dataset(
    requests: int,
    engineers: int,
    seed: int,
    now: datetime,
    offices: int = 3,
    customers: int | None = None,
    arrival_days: int = 0,
) -> Dataset:
    """A realistic, valid data set; the same arguments always give the same data.

    `now` (aware) is the dispatcher's moment: service requests and health checks were
    received over the last few working days before it (half the health checks with a date
    window from `now` on), trainings over the two weeks before it with windows in the two
    weeks after. `customers` defaults to 5/4 of `requests`
    (at least 5). With 10 or more requests the backlog surely holds an emergency P1, a
    3-session training, a minor upgrade, a major upgrade without agreement and a
    custom-module upgrade (when a customer has custom modules). Every request is valid by
    the contract; unlicensed and expired customers are left for entitlement to judge.

    `arrival_days` > 0 makes the load steady instead of a backlog: service requests and
    health checks arrive evenly over the two working days before `now` and the next
    `arrival_days` working days (received after `now`: a planning benchmark that knows the
    fortnight's demand ahead, not data the intake would accept today).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    if requests < 0 or engineers < 0 or arrival_days < 0:
        raise ValueError("requests, engineers and arrival_days must not be negative")
    rng = random.Random(seed)
    office_list = _offices(offices)
    customer_count = customers if customers is not None else max(5, requests * 5 // 4)
    if customer_count < 1 and requests:
        raise ValueError("requests need at least one customer")
    engineer_list = _engineers(rng, engineers, office_list)
    customer_list = _customers(rng, customer_count, office_list, now.date())
    scenarios: list[str | None] = [None] * requests
    if requests >= 10:
        scenarios[:5] = ["emergency", "training3", "minor", "major", "custom"]
    request_list = []
    for index, scenario in enumerate(scenarios):
        customer = _customer_for(rng, customer_list, scenario, now.date())
        request_list.append(_request(rng, index + 1, customer, now, scenario, arrival_days))
    # Shuffle so that the scenarios are not all at the top of the file.
    rng.shuffle(request_list)
    return Dataset(
        offices=office_list,
        engineers=tuple(engineer_list),
        customers=tuple(customer_list),
        requests=tuple(request_list),
    )


def _entitled(customer: Customer, today: date) -> bool:
    """Licensed and inside validity today (a rough POLICY.md 1: free year, then paid)."""
    free = today < _years_after(customer.purchase_date, 1)
    return customer.licensed and (free or any(p.covers(today) for p in customer.paid_periods))


def _customer_for(
    rng: random.Random, customers: list[Customer], scenario: str | None, today: date
) -> Customer:
    if scenario is None:
        return rng.choice(customers)
    # A scenario shows one rule at work, so its customer is otherwise entitled.
    eligible = [c for c in customers if _entitled(c, today)]
    if scenario == "custom":
        eligible = [c for c in eligible if c.custom_modules] or eligible
    elif scenario == "major":
        eligible = [c for c in eligible if not c.upgrade_agreement] or eligible
    return rng.choice(eligible or customers)


def write_dataset(dataset: Dataset, out_dir: Path, fmt: str = "csv") -> dict[str, Path]:
    """Write the data set as contract files (`csv`: UTF-8; `xlsx`: text cells); kind -> path.

    `office_calendar` is written only when the data set has calendar days.
    """
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"fmt must be 'csv' or 'xlsx', got {fmt!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = {
        "offices": dataset.offices,
        "office_calendar": dataset.office_calendar,
        "engineers": dataset.engineers,
        "customers": dataset.customers,
        "requests": dataset.requests,
    }
    written = {}
    for kind, records in tables.items():
        if kind == "office_calendar" and not records:
            continue
        header = list(CONTRACT[kind].column_names)
        rows = [to_row(kind, record) for record in records]
        path = out_dir / f"{kind}.{fmt}"
        if fmt == "csv":
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, header, lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
        else:
            _write_xlsx(path, kind, header, rows)
        written[kind] = path
    return written


def _write_xlsx(path: Path, kind: str, header: list[str], rows: list[dict[str, str]]) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind)
    sheet.append(header)
    for row in rows:
        # Text cells, so versions like 9.10 and ids like 007 survive Excel.
        sheet.append([row[name] for name in header])
    workbook.save(path)
