"""Words for the demo service desk (app.services.demo_service): ticket subjects and
conversations per category, and knowledge-base articles, in English and Traditional
Chinese."""

from __future__ import annotations

DEMO_TIME_ZONE = "Asia/Taipei"
# (month, day, English name, Chinese name): Taiwan's fixed-date national holidays.
HOLIDAYS = [
    (1, 1, "New Year's Day", "元旦"),
    (2, 28, "Peace Memorial Day", "和平紀念日"),
    (4, 4, "Children's Day", "兒童節"),
    (5, 1, "Labour Day", "勞動節"),
    (10, 10, "National Day", "國慶日"),
]
# Category name, description, routed round-robin to the support team's agents.
CATEGORIES = [
    ("Billing 帳務", "Invoices, payments and refunds. 發票、付款與退款。", False),
    ("Technical 技術", "Errors, outages and integrations. 錯誤、中斷與系統整合。", True),
    ("Account 帳號", "Logins, users and permissions. 登入、使用者與權限。", False),
    ("Shipping 配送", "Deliveries, returns and tracking. 出貨、退貨與追蹤。", False),
]
# Business minutes (first response, resolution) per priority, for any customer and for
# tier A customers (the stricter promise).
POLICIES = {
    "LOW": ((480, 2700), (240, 1620)),
    "MEDIUM": ((240, 1620), (120, 1080)),
    "HIGH": ((60, 540), (30, 360)),
    "URGENT": ((30, 240), (15, 120)),
}

# Per category (same order as CATEGORIES): (English subjects, Chinese subjects).
SUBJECTS = [
    (
        [
            "Invoice amount does not match the quote",
            "Charged twice this month",
            "Need a copy of last year's invoices",
            "Refund for cancelled order",
            "Change the billing address on invoices",
            "Payment by wire transfer not recorded",
        ],
        [
            "發票金額與報價不符",
            "本月被重複扣款",
            "需要補發去年的發票",
            "取消訂單的退款進度",
            "發票抬頭需要變更",
            "匯款後系統未顯示已付款",
        ],
    ),
    (
        [
            "Error 500 when exporting reports",
            "Sync with our ERP stopped",
            "Dashboard loads slowly",
            "API returns 401 for a valid token",
            "Mobile app crashes on login",
            "Email notifications not arriving",
        ],
        [
            "匯出報表時出現錯誤 500",
            "與 ERP 的同步中斷",
            "儀表板載入很慢",
            "API 金鑰無法使用",
            "手機 App 登入後閃退",
            "收不到系統通知信",
        ],
    ),
    (
        [
            "Cannot reset my password",
            "Add three new users to our account",
            "Locked out after too many attempts",
            "Transfer account ownership",
            "Two-factor code not accepted",
            "Remove a former employee's access",
        ],
        [
            "無法重設密碼",
            "需要新增三個使用者帳號",
            "登入失敗次數過多被鎖定",
            "帳號擁有者轉移",
            "雙重驗證碼無法使用",
            "移除離職員工的權限",
        ],
    ),
    (
        [
            "Delivery is a week late",
            "Wrong item received",
            "Tracking number does not work",
            "Package arrived damaged",
            "Change the delivery address",
            "Return label request",
        ],
        [
            "貨物延遲一週未到",
            "收到的商品錯誤",
            "物流追蹤碼查不到",
            "包裹送達時已破損",
            "需要變更收件地址",
            "申請退貨標籤",
        ],
    ),
]
DESCRIPTIONS_EN = [
    "Hello, {subject_lower}. Could you look into it? Order and account details are below.",
    "Hi team, since yesterday: {subject_lower}. This is blocking our work, please advise.",
    "Dear support, we noticed that {subject_lower}. Screenshots attached. Thanks.",
]
DESCRIPTIONS_ZH = [
    "您好，{subject}，麻煩協助確認，謝謝。",
    "客服您好：從昨天開始{subject}，影響到我們的作業，請盡快處理。",
    "你好，{subject}，相關截圖已附上，再請回覆。",
]
AGENT_REPLIES_EN = [
    "Thank you for reaching out. I am looking into this now and will update you shortly.",
    "Could you send us the order number and a screenshot of the message you see?",
    "We found the cause and applied a fix. Could you check on your side?",
    "I have escalated this to our specialists; you will hear from us within a day.",
    "This should be solved now. Let us know if anything else comes up.",
]
AGENT_REPLIES_ZH = [
    "感謝您的來信，我們正在確認中，稍後回覆您。",
    "請提供訂單編號與錯誤畫面截圖，方便我們查詢。",
    "已找到原因並完成修正，麻煩您再確認一次。",
    "已轉交專責同仁處理，一個工作天內會再與您聯繫。",
    "問題應已解決，如有其他需要歡迎隨時聯絡我們。",
]
CUSTOMER_REPLIES_EN = [
    "Here is the order number you asked for.",
    "Thanks, but the problem is still there this morning.",
    "That worked, thank you!",
    "Any update on this? We need it before Friday.",
]
CUSTOMER_REPLIES_ZH = [
    "訂單編號如附件，請查收。",
    "謝謝，不過今天早上問題還是存在。",
    "已經可以了，謝謝！",
    "請問目前處理進度如何？我們週五前需要。",
]
NOTES = [
    "Checked the logs: same error as last month's incident.",
    "Asked finance to confirm the payment.",
    "VIP customer, keep the account manager informed.",
    "已與倉庫確認出貨紀錄。",
    "疑似與上週的更新有關，已通知研發。",
]
CSAT_COMMENTS = ["", "", "", "Quick and friendly, thanks!", "Took too long.", "處理很迅速，謝謝！",
                 "回覆很專業。", "Had to explain the problem twice."]  # fmt: skip
NPS_COMMENTS = ["", "", "Great product, support could be faster.", "很好用，會推薦給朋友。",
                "Pricing is too high for us.", "介面直覺，客服親切。"]  # fmt: skip

KB_CATEGORIES = ["Getting started 入門", "Billing & invoices 帳單與發票",
                 "Account & security 帳號與安全", "Technical issues 技術問題",
                 "Shipping & delivery 配送"]  # fmt: skip
# (category index, title, what the article says); the body adds steps around it.
KB_EN = [
    (0, "Welcome to Rapport: your first day", "how to find your way around the main menu"),
    (0, "Importing customers from a spreadsheet", "how to import customers from a CSV file"),
    (0, "Inviting colleagues", "how to invite colleagues and choose their role"),
    (0, "Setting your language and time zone", "how to switch between English and Chinese"),
    (0, "Keyboard shortcuts", "the shortcuts that save the most time"),
    (0, "Using the customer portal", "what customers can do on the portal"),
    (1, "How to read your invoice", "what every line of the invoice means"),
    (1, "Changing the billing address on an invoice", "how to correct the invoice address"),
    (1, "Paying by wire transfer", "which bank details to use for a wire transfer"),
    (1, "Requesting a refund", "when a refund is possible and how long it takes"),
    (1, "Why was I charged twice?", "how a duplicate charge happens and how it is reversed"),
    (1, "Downloading past invoices", "where to download every past invoice as a PDF"),
    (1, "Tax and e-invoice settings", "how the uniform invoice number is printed"),
    (2, "Resetting your password", "how to reset a forgotten password from the login page"),
    (2, "Turning on two-factor authentication", "how to protect your account with 2FA"),
    (2, "Unlocking a locked account", "why an account locks after failed password attempts"),
    (2, "Removing a former employee", "how to deactivate a user and hand over their records"),
    (2, "Transferring account ownership", "how the account owner role moves to a colleague"),
    (2, "Choosing a strong password", "what makes a password hard to guess"),
    (3, "Fixing error 500 on exports", "what to do when an export fails with error 500"),
    (3, "ERP sync troubleshooting", "how to restart the ERP synchronisation"),
    (3, "API tokens and error 401", "why the API answers 401 and how to create a new token"),
    (3, "Email notifications are not arriving", "how to allow our sender in your spam filter"),
    (3, "Speeding up a slow dashboard", "which filters make the dashboard load faster"),
    (3, "Mobile app crashes on start", "how to clear the app cache and reinstall"),
    (4, "Tracking your delivery", "where to find the tracking number of a shipment"),
    (4, "Damaged or wrong items", "how to report a damaged or wrong item with photos"),
    (4, "Returning an item", "how to print a return label and book a pickup"),
    (4, "Changing the delivery address", "until when a delivery address can be changed"),
    (4, "Delivery times by region", "how long delivery takes to each region"),
]
KB_ZH = [
    (0, "新手上路：第一天就上手", "主選單各功能的位置與用途"),
    (0, "從試算表匯入客戶資料", "如何以 CSV 檔匯入客戶"),
    (0, "邀請同事加入", "如何邀請同事並設定角色"),
    (0, "切換語言與時區", "如何在中文與英文介面間切換"),
    (1, "如何看懂您的發票", "發票上每一行的意義"),
    (1, "變更發票抬頭與統一編號", "如何更正發票抬頭"),
    (1, "匯款付款說明", "匯款時應使用的銀行帳號"),
    (1, "申請退款", "退款的條件與所需時間"),
    (1, "為什麼被重複扣款？", "重複扣款的原因與退回方式"),
    (2, "重設密碼", "如何從登入頁面重設忘記的密碼"),
    (2, "啟用雙重驗證", "如何以雙重驗證保護帳號"),
    (2, "帳號被鎖定怎麼辦", "密碼輸入錯誤多次後帳號鎖定的原因"),
    (2, "移除離職員工帳號", "如何停用使用者並移交其資料"),
    (3, "匯出報表出現錯誤 500", "匯出失敗時的處理步驟"),
    (3, "ERP 同步問題排除", "如何重新啟動 ERP 同步"),
    (3, "API 金鑰與 401 錯誤", "API 回應 401 的原因與如何建立新金鑰"),
    (3, "收不到通知信", "如何將寄件者加入信任名單"),
    (4, "查詢物流進度", "在哪裡找到出貨的追蹤碼"),
    (4, "商品破損或寄錯", "如何附照片回報破損或錯誤商品"),
    (4, "退貨流程", "如何列印退貨標籤並預約收件"),
]
KB_BODY_EN = (
    "This article explains {what}.\n\n"
    "1. Sign in and open the menu in the top right corner.\n"
    "2. Follow the steps on the page; each one is saved as you go.\n"
    "3. If something looks wrong, contact support with a screenshot.\n\n"
    "Still stuck? Open a ticket from the portal and mention this article."
)
KB_BODY_ZH = (
    "本文說明{what}。\n\n"
    "一、登入後點選右上角的選單。\n"
    "二、依照頁面上的步驟操作，每一步都會自動儲存。\n"
    "三、如有異常，請附上截圖聯絡客服。\n\n"
    "仍無法解決嗎？請從客戶入口網站開立工單，並註明本文標題。"
)
