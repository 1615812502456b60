"""The names, places and phrases demo customers, contacts and activities are made of:
real Taiwanese companies (names and public websites; e-mail addresses use example.com
domains, so demo data never mails anybody) and made-up foreign ones, in Taiwan and abroad.
"""

from app.models.activities import ActivityKind

# (account name, legal name, industry, web domain, place key)
COMPANIES = [
    ("台積電", "台灣積體電路製造股份有限公司", "Semiconductors", "tsmc.com", "hsinchu"),
    ("鴻海精密", "鴻海精密工業股份有限公司", "Electronics", "foxconn.com", "newtaipei"),
    ("大同公司", "大同股份有限公司", "Electronics", "tatung.com", "taipei"),
    ("聯發科技", "聯發科技股份有限公司", "Semiconductors", "mediatek.com", "hsinchu"),
    ("華碩電腦", "華碩電腦股份有限公司", "Computers", "asus.com", "taipei"),
    ("宏碁", "宏碁股份有限公司", "Computers", "acer.com", "newtaipei"),
    ("廣達電腦", "廣達電腦股份有限公司", "Computers", "quantatw.com", "taoyuan"),
    ("統一企業", "統一企業股份有限公司", "Food & Beverage", "uni-president.com.tw", "tainan"),
    ("中華電信", "中華電信股份有限公司", "Telecommunications", "cht.com.tw", "taipei"),
    ("台達電子", "台達電子工業股份有限公司", "Electronics", "deltaww.com", "taipei"),
    ("日月光", "日月光半導體製造股份有限公司", "Semiconductors", "aseglobal.com", "kaohsiung"),
    ("長榮海運", "長榮海運股份有限公司", "Logistics", "evergreen-marine.com", "taipei"),
    ("中鋼", "中國鋼鐵股份有限公司", "Steel", "csc.com.tw", "kaohsiung"),
    ("研華科技", "研華股份有限公司", "Industrial IoT", "advantech.com", "taipei"),
    ("光寶科技", "光寶科技股份有限公司", "Electronics", "liteon.com", "taipei"),
    ("和碩聯合", "和碩聯合科技股份有限公司", "Electronics", "pegatroncorp.com", "taipei"),
    ("仁寶電腦", "仁寶電腦工業股份有限公司", "Computers", "compal.com", "taipei"),
    ("緯創資通", "緯創資通股份有限公司", "Computers", "wistron.com", "newtaipei"),
    ("友達光電", "友達光電股份有限公司", "Displays", "auo.com", "hsinchu"),
    ("南亞塑膠", "南亞塑膠工業股份有限公司", "Plastics", "npc.com.tw", "taipei"),
    ("義美食品", "義美食品股份有限公司", "Food & Beverage", "imeifoods.com.tw", "taipei"),
    ("王品餐飲", "王品餐飲股份有限公司", "Hospitality", "wowprime.com", "taichung"),
    ("巨大機械", "巨大機械工業股份有限公司", "Bicycles", "giant-bicycles.com", "taichung"),
    ("美利達", "美利達工業股份有限公司", "Bicycles", "merida-bikes.com", "taichung"),
    ("誠品生活", "誠品生活股份有限公司", "Retail", "eslitecorp.com", "taipei"),
    ("全家便利商店", "全家便利商店股份有限公司", "Retail", "family.com.tw", "taipei"),
    ("上銀科技", "上銀科技股份有限公司", "Machinery", "hiwin.tw", "taichung"),
    ("技嘉科技", "技嘉科技股份有限公司", "Computers", "gigabyte.com", "newtaipei"),
    ("微星科技", "微星科技股份有限公司", "Computers", "msi.com", "newtaipei"),
    ("台灣大哥大", "台灣大哥大股份有限公司", "Telecommunications", "taiwanmobile.com", "taipei"),
    ("遠傳電信", "遠傳電信股份有限公司", "Telecommunications", "fetnet.net", "taipei"),
    ("裕隆汽車", "裕隆汽車製造股份有限公司", "Automotive", "yulon-motor.com.tw", "taipei"),
    ("正新橡膠", "正新橡膠工業股份有限公司", "Automotive", "cst.com.tw", "taichung"),
    ("Acme Robotics", "Acme Robotics Inc.", "Machinery", "acme-robotics.example", "sanjose"),
    ("Northwind Traders", "Northwind Traders Ltd", "Wholesale", "northwind.example", "london"),
    ("Bluewater Analytics", "Bluewater Analytics LLC", "Software", "bluewater.example", "boston"),
    ("Pinecrest Foods", "Pinecrest Foods Co.", "Food & Beverage", "pinecrest.example", "toronto"),
    ("Meridian Health", "Meridian Health Partners", "Healthcare", "meridian.example", "boston"),
    ("Summit Outdoor", "Summit Outdoor Gear Inc.", "Retail", "summit.example", "sanjose"),
    ("Redwood Software", "Redwood Software Corp.", "Software", "redwood.example", "sanjose"),
    ("Kestrel Aerospace", "Kestrel Aerospace GmbH", "Aerospace", "kestrel.example", "munich"),
    ("Lumen Lighting", "Lumen Lighting GmbH", "Electronics", "lumen.example", "munich"),
    ("Sakura Electronics", "Sakura Electronics K.K.", "Electronics", "sakura.example", "tokyo"),
    ("Maple Logistics", "Maple Leaf Logistics Inc.", "Logistics", "maple.example", "toronto"),
    ("Orchid Pharma", "Orchid Pharma Pte. Ltd.", "Pharmaceuticals", "orchid.example", "sg"),
    ("Nordic Cloud", "Nordic Cloud AB", "Software", "nordiccloud.example", "stockholm"),
    ("Atlas Manufacturing", "Atlas Manufacturing Ltd", "Machinery", "atlas.example", "london"),
    ("BrightPath Education", "BrightPath Education", "Education", "brightpath.example", "sg"),
    ("Cobalt Security", "Cobalt Security Inc.", "Software", "cobalt.example", "boston"),
    ("Evergreen Solar", "Evergreen Solar K.K.", "Energy", "evergreen-solar.example", "tokyo"),
    ("Fjord Fisheries", "Fjord Fisheries AS", "Food & Beverage", "fjord.example", "stockholm"),
    ("Helios Energy", "Helios Energy SE", "Energy", "helios.example", "munich"),
    ("Juniper Biotech", "Juniper Biotech Inc.", "Pharmaceuticals", "juniper.example", "boston"),
    ("Keystone Build", "Keystone Construction Ltd", "Construction", "keystone.example", "london"),
    ("Lotus Hospitality", "Lotus Hospitality Pte. Ltd.", "Hospitality", "lotus.example", "sg"),
    ("Monarch Financial", "Monarch Financial Group", "Finance", "monarch.example", "toronto"),
    ("Nimbus Networks", "Nimbus Networks Inc.", "Telecommunications", "nimbus.example", "sanjose"),
    ("Quill Publishing", "Quill Publishing Ltd", "Media", "quill.example", "london"),
    ("Tidewater Marine", "Tidewater Marine K.K.", "Logistics", "tidewater.example", "tokyo"),
]
# place key -> (city, region, postal code, country, phone prefix, streets)
PLACES = {
    "taipei": ("台北市", "信義區", "110", "TW", "+886 2", ["信義路五段", "松仁路", "基隆路一段"]),
    "newtaipei": ("新北市", "土城區", "236", "TW", "+886 2", ["自由街", "中央路三段"]),
    "hsinchu": ("新竹市", "東區", "300", "TW", "+886 3", ["力行六路", "園區二路"]),
    "taoyuan": ("桃園市", "龜山區", "333", "TW", "+886 3", ["文化二路", "萬壽路二段"]),
    "taichung": ("台中市", "西屯區", "407", "TW", "+886 4", ["台灣大道三段", "工業區一路"]),
    "tainan": ("台南市", "永康區", "710", "TW", "+886 6", ["中正路", "中華路"]),
    "kaohsiung": ("高雄市", "前鎮區", "806", "TW", "+886 7", ["成功二路", "中山四路"]),
    "sanjose": ("San Jose", "CA", "95134", "US", "+1 408", ["N First St", "Zanker Rd"]),
    "boston": ("Boston", "MA", "02110", "US", "+1 617", ["Atlantic Ave", "State St"]),
    "toronto": ("Toronto", "ON", "M5H 2N2", "CA", "+1 416", ["King St W", "Bay St"]),
    "london": ("London", "", "EC2V 7HH", "GB", "+44 20", ["Gresham St", "Old Broad St"]),
    "munich": ("München", "Bayern", "80331", "DE", "+49 89", ["Marienplatz", "Sendlinger Str."]),
    "tokyo": ("東京都", "千代田区", "100-0005", "JP", "+81 3", ["丸の内一丁目", "大手町二丁目"]),
    "sg": ("Singapore", "", "018989", "SG", "+65", ["Marina Blvd", "Raffles Pl"]),
    "stockholm": ("Stockholm", "", "111 20", "SE", "+46 8", ["Drottninggatan", "Kungsgatan"]),
}
# Made-up names for customers beyond the curated list (the large scale).
GEN_ZH = (
    ["宏遠", "聯華", "華新", "東元", "永豐", "金寶", "致遠", "晶元", "北辰", "凱達"],
    ["精密", "光電", "食品", "物流", "生技", "塑膠", "紡織", "機械", "資訊", "通訊"],
)
GEN_EN = (
    ["Silver", "Harbor", "Granite", "Crescent", "Aurora", "Falcon", "Willow", "Vertex"],
    ["Systems", "Foods", "Logistics", "Labs", "Textiles", "Devices", "Partners", "Works"],
)
SOURCES = ["Website", "Referral", "Trade show", "Cold call", "Partner", "LinkedIn", "展覽"]
PERSON_ZH = [
    ("陳", "chen"),
    ("林", "lin"),
    ("黃", "huang"),
    ("張", "chang"),
    ("李", "lee"),
    ("王", "wang"),
    ("吳", "wu"),
    ("劉", "liu"),
    ("蔡", "tsai"),
    ("楊", "yang"),
]
GIVEN_ZH = [
    ("志明", "chihming"),
    ("淑芬", "shufen"),
    ("家豪", "chiahao"),
    ("怡君", "yichun"),
    ("俊傑", "chunchieh"),
    ("雅婷", "yating"),
    ("冠宇", "kuanyu"),
    ("佩珊", "peishan"),
]
PERSON_EN = ["Alice", "Brian", "Chloe", "Daniel", "Emma", "Felix", "Grace", "Henry", "Ingrid"]
SURNAME_EN = ["Smith", "Garcia", "Taylor", "Müller", "Tanaka", "Okafor", "Novak", "Dubois"]
JOBS_ZH = [
    ("總經理", "總經理室"),
    ("採購經理", "採購部"),
    ("資訊主管", "資訊部"),
    ("財務長", "財務部"),
    ("業務專員", "業務部"),
]
JOBS_EN = [
    ("CEO", "Management"),
    ("Purchasing Manager", "Procurement"),
    ("IT Director", "IT"),
    ("CFO", "Finance"),
    ("Operations Lead", "Operations"),
]
SUBJECTS = {
    ActivityKind.CALL: ["電話追蹤報價", "Follow-up call on the quote", "Intro call", "確認交期"],
    ActivityKind.EMAIL: ["寄送產品型錄", "Sent the pricing proposal", "Renewal reminder"],
    ActivityKind.MEETING: ["季度業務檢討會議", "On-site demo", "Contract negotiation"],
    ActivityKind.NOTE: ["客戶關注交期與價格", "Budget approved for next quarter", "換了採購窗口"],
    ActivityKind.TASK: [
        "準備年度合約續約",
        "Send the revised quote",
        "安排教育訓練",
        "Check credit",
    ],
}
KINDS = list(SUBJECTS)
# (tag name, colour): put on about a third of the customers.
TAGS = [
    ("VIP", "#dc2626"),
    ("重點客戶", "#ea580c"),
    ("Distributor", "#2563eb"),
    ("續約 2027", "#16a34a"),
    ("Trade show lead", "#7c3aed"),
]
