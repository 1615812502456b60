"""Demo product catalogue for `flask rapport seed`: about forty products (software licences,
subscriptions, services, hardware, training; English and Chinese names; 5 % Taiwan VAT,
0 % for zero-rated exports) and three price books: Retail and Distributor in the default
currency, Export in USD. The same catalogue at every scale.

Prices are written in TWD below and converted to the default currency at a fixed demo
rate. Like the other demo data, rows go in with Core inserts, outside the audit trail.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models.sales import PriceBook, PriceBookEntry, Product

if TYPE_CHECKING:
    from app.services.demo import SeedContext

# TWD per unit of a currency, for turning the demo prices into the default currency.
TWD_RATES = {"TWD": Decimal(1), "USD": Decimal(32), "EUR": Decimal(35), "CNY": Decimal("4.4")}
# Currencies priced in whole units (no cents on a TWD price list).
WHOLE_UNITS = {"TWD", "JPY", "KRW"}
EXPORT_CURRENCY = "USD"
# Distributors buy below list: software and hardware at 80 %, services at 90 %.
DISTRIBUTOR_SHARE = {"SW": Decimal("0.80"), "HW": Decimal("0.80"), "SV": Decimal("0.90")}
# Product lines by SKU prefix (reports and forecasts group sales by line).
LINES = {"SW": "Software", "SV": "Services", "HW": "Hardware"}
# Export prices: list converted to USD plus 10 % for handling and support across time zones.
EXPORT_MARKUP = Decimal("1.10")

# (SKU, name, unit, list price in TWD, tax rate %, active); descriptions below.
PRODUCTS = [
    ("SW-CRM-STD-1Y", "Rapport CRM Standard, 1-year licence", "seat", 4800, 5, True),
    ("SW-CRM-PRO-1Y", "Rapport CRM 專業版 年授權", "seat", 9600, 5, True),
    ("SW-CRM-ENT-1Y", "Rapport CRM Enterprise, 1-year licence", "seat", 18000, 5, True),
    ("SW-CRM-PRO-PERP", "Rapport CRM 專業版 永久授權", "seat", 28800, 5, True),
    ("SW-MKT-1Y", "Marketing Automation add-on, 1 year", "seat", 6000, 5, True),
    ("SW-SVC-1Y", "客服工單模組 年授權", "seat", 5400, 5, True),
    ("SW-BI-1Y", "BI Dashboard add-on, 1 year", "site", 36000, 5, True),
    ("SW-API-EXTRA", "API 呼叫量加購 (每月一百萬次)", "month", 2500, 5, True),
    ("SW-STORAGE-100", "Extra storage 100 GB", "month", 800, 5, True),
    ("SW-SMS-1000", "簡訊點數 1,000 則", "pack", 1200, 5, True),
    ("SW-ERP-CONN", "ERP connector (SAP / 鼎新)", "site", 60000, 5, True),
    ("SW-MOBILE-1Y", "Mobile sales app, 1 year", "seat", 1800, 5, True),
    ("SW-CRM-STD-OLD", "Rapport CRM 2023 標準版 (停售)", "seat", 3600, 5, False),
    ("SV-IMPL-BASIC", "Implementation package, basic", "project", 120000, 5, True),
    ("SV-IMPL-ADV", "導入顧問服務 進階方案", "project", 380000, 5, True),
    ("SV-CONSULT-HR", "Consulting, per hour", "hour", 3500, 5, True),
    ("SV-CONSULT-DAY", "顧問服務 (人天)", "day", 24000, 5, True),
    ("SV-DEV-DAY", "Custom development, per day", "day", 20000, 5, True),
    ("SV-MIGRATE", "資料移轉服務", "project", 45000, 5, True),
    ("SV-TRAIN-DAY", "教育訓練 (一天，20人以內)", "day", 18000, 5, True),
    ("SV-TRAIN-ADMIN", "Administrator training, half day", "session", 9000, 5, True),
    ("SV-SUPPORT-STD", "Standard support, 1 year", "year", 30000, 5, True),
    ("SV-SUPPORT-PREM", "白金級技術支援 年約", "year", 96000, 5, True),
    ("SV-HEALTH-CHECK", "System health check", "visit", 15000, 5, True),
    ("SV-EXPORT-SUPPORT", "Overseas remote support (zero-rated)", "year", 60000, 0, True),
    ("SV-EXPORT-IMPL", "海外導入服務 (零稅率)", "project", 250000, 0, True),
    ("SV-ONSITE-TRAVEL", "出差費 (台灣本島)", "trip", 3000, 5, True),
    ("HW-TABLET-10", "Sales tablet 10-inch", "piece", 16900, 5, True),
    ("HW-SCANNER-BC", "條碼掃描器 (無線)", "piece", 4200, 5, True),
    ("HW-CARD-SCAN", "Business card scanner", "piece", 5900, 5, True),
    ("HW-PRINTER-RCPT", "感熱式收據印表機", "piece", 6800, 5, True),
    ("HW-HEADSET", "Call centre headset", "piece", 2600, 5, True),
    ("HW-VOIP-PHONE", "IP 話機 (含 CTI 整合)", "piece", 7500, 5, True),
    ("HW-SERVER-S", "On-premises server, small", "piece", 168000, 5, True),
    ("HW-SERVER-M", "地端伺服器 (中型)", "piece", 298000, 5, True),
    ("HW-NAS-BACKUP", "Backup NAS 8 TB", "piece", 42000, 5, True),
    ("HW-UPS-1500", "不斷電系統 1500VA", "piece", 12500, 5, True),
    ("HW-KIOSK", "Visitor kiosk", "piece", 38000, 5, True),
    ("HW-TABLET-8-OLD", "Sales tablet 8-inch (discontinued)", "piece", 9900, 5, False),
    ("SV-GIFT-MANUAL", "使用手冊 (紙本)", "copy", 0, 5, True),
]
DESCRIPTIONS = {
    "SW-CRM-STD-1Y": "Contacts, customers, activities and the pipeline.",
    "SW-CRM-PRO-1Y": "標準版功能加上報價單、訂單與業績目標。",
    "SW-CRM-ENT-1Y": "Professional plus API access, single sign-on and audit exports.",
    "SW-CRM-PRO-PERP": "一次買斷，含第一年維護。",
    "SW-MKT-1Y": "Campaigns, segments and email tracking.",
    "SW-SVC-1Y": "工單、SLA 與客戶入口網站。",
    "SW-BI-1Y": "Sales dashboards and scheduled reports.",
    "SW-API-EXTRA": "超過方案額度的 API 呼叫。",
    "SW-STORAGE-100": "For documents and email attachments.",
    "SW-SMS-1000": "行銷與提醒簡訊，台灣門號。",
    "SW-ERP-CONN": "Two-way sync of customers, orders and invoices.",
    "SW-MOBILE-1Y": "iOS and Android, offline visit notes.",
    "SW-CRM-STD-OLD": "已由年授權方案取代。",
    "SV-IMPL-BASIC": "Set-up, data import and two training sessions.",
    "SV-IMPL-ADV": "流程訪談、客製欄位、權限設計與資料轉換。",
    "SV-CONSULT-HR": "Senior consultant, on site or remote.",
    "SV-CONSULT-DAY": "資深顧問到府服務一日。",
    "SV-DEV-DAY": "Reports, integrations and custom screens.",
    "SV-MIGRATE": "自 Excel 或其他 CRM 匯入客戶、聯絡人與歷史紀錄。",
    "SV-TRAIN-DAY": "台北、新竹、台中、高雄或線上。",
    "SV-TRAIN-ADMIN": "Roles, custom fields, imports and backups.",
    "SV-SUPPORT-STD": "Business hours, next-day response.",
    "SV-SUPPORT-PREM": "7x24 支援，四小時內回應，專屬客戶經理。",
    "SV-HEALTH-CHECK": "Performance review and upgrade plan.",
    "SV-EXPORT-SUPPORT": "Support for customers outside Taiwan: zero-rated export service.",
    "SV-EXPORT-IMPL": "境外客戶遠端導入，適用零稅率。",
    "SV-ONSITE-TRAVEL": "交通與住宿，每趟。",
    "HW-TABLET-10": "Pre-configured with the mobile app.",
    "HW-SCANNER-BC": "藍牙連線，倉庫與門市使用。",
    "HW-CARD-SCAN": "Scans cards straight into contacts, Chinese and English.",
    "HW-PRINTER-RCPT": "80 mm，USB 與網路介面。",
    "HW-HEADSET": "Noise cancelling, USB.",
    "HW-VOIP-PHONE": "來電自動帶出客戶資料。",
    "HW-SERVER-S": "For up to 50 users, three-year warranty.",
    "HW-SERVER-M": "200 人以內，含三年保固與到府安裝。",
    "HW-NAS-BACKUP": "Nightly database and file backups.",
    "HW-UPS-1500": "伺服器機櫃用。",
    "HW-KIOSK": "Web-to-lead sign-up at trade fairs.",
    "HW-TABLET-8-OLD": "Replaced by the 10-inch model.",
    "SV-GIFT-MANUAL": "隨產品附贈。",
}


def _convert(amount_twd: Decimal, currency: str) -> Decimal:
    """A TWD demo price in `currency`, in whole units where prices have no cents."""
    amount = amount_twd / TWD_RATES.get(currency, Decimal(1))
    step = Decimal(1) if currency in WHOLE_UNITS else Decimal("0.01")
    return amount.quantize(step, rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


def seed_products(ctx: SeedContext) -> dict:
    """Insert the catalogue and its three price books; returns the counts."""
    currency = current_app.config["DEFAULT_CURRENCY"]
    db.session.execute(
        sa.insert(Product),
        [
            {
                "sku": sku,
                "name": name,
                "unit": unit,
                "line": LINES[sku[:2]],
                "list_price": _convert(Decimal(price), currency),
                "tax_rate": Decimal(tax),
                "description": DESCRIPTIONS[sku],
                "is_active": active,
            }
            for sku, name, unit, price, tax, active in PRODUCTS
        ],
    )
    books = [
        ("Retail " + currency, currency, "List prices, for direct customers. 零售牌價。"),
        ("Distributor " + currency, currency, "Resellers and distributors. 經銷商價格。"),
        ("Export " + EXPORT_CURRENCY, EXPORT_CURRENCY, "Customers outside Taiwan. 外銷報價。"),
    ]
    db.session.execute(
        sa.insert(PriceBook),
        [{"name": name, "currency": cur, "description": text} for name, cur, text in books],
    )
    book_ids = dict(db.session.execute(sa.select(PriceBook.name, PriceBook.id)).tuples().all())
    product_ids = dict(db.session.execute(sa.select(Product.sku, Product.id)).tuples().all())
    retail, distributor, export = (book_ids[name] for name, _, _ in books)
    entries = []
    for sku, _, _, price, _, active in PRODUCTS:
        if not active:
            continue
        product_id = product_ids[sku]
        twd = Decimal(price)
        entries.append((retail, product_id, _convert(twd, currency)))
        entries.append(
            (distributor, product_id, _convert(twd * DISTRIBUTOR_SHARE[sku[:2]], currency))
        )
        # On-site work in Taiwan is not sold abroad; everything else has an export price.
        if sku not in ("SV-ONSITE-TRAVEL", "SV-TRAIN-DAY"):
            entries.append((export, product_id, _convert(twd * EXPORT_MARKUP, EXPORT_CURRENCY)))
    db.session.execute(
        sa.insert(PriceBookEntry),
        [{"price_book_id": b, "product_id": p, "unit_price": price} for b, p, price in entries],
    )
    db.session.flush()
    return {"products": len(PRODUCTS), "price_books": len(books), "prices": len(entries)}
