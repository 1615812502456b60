"""The labelled question set of the knowledge-base suggestions: a small help centre of 40
English and 40 Traditional Chinese articles (accounts, billing, orders, devices, email,
integrations), each with three questions a customer might ask in their own words, labelled
with the article that answers them, and the harness that measures recall@5 on it (the
`flask rapport ai-eval` figures of PredictionKind.KB).

Each block of ENGLISH and CHINESE is one article: its title, its body lines, and its
questions (lines starting with "? "). The questions were written as paraphrases before
the retrieval was measured, and were not changed to suit it.
"""

from __future__ import annotations

import dataclasses
import random
import time

import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.service import ArticleStatus, ArticleVisibility, KbArticle
from app.services import kb_search
from app.services.search import normalise

# A few answers also exist as internal notes and drafts with the same words: the portal
# must never offer them, however well they match.
DISTRACTORS = 8


@dataclasses.dataclass(frozen=True)
class LabelledArticle:
    """One article of the set and the questions it answers."""

    language: str
    title: str
    body: str
    questions: tuple[str, ...]


def _parse(text: str, language: str) -> tuple[LabelledArticle, ...]:
    joiner = "" if language == "zh_Hant" else " "
    found = []
    for block in text.strip().split("\n\n"):
        title, *lines = block.strip().splitlines()
        body = joiner.join(line for line in lines if not line.startswith("? "))
        questions = tuple(line[2:] for line in lines if line.startswith("? "))
        found.append(LabelledArticle(language, title, body, questions))
    return tuple(found)


ENGLISH_TEXT = """
Reset a forgotten password
On the sign-in page choose "Forgot password" and enter the email address of your account.
We send a reset link that works for one hour. If the email does not arrive, look in your
spam folder or ask your administrator to send a new invitation.
? I forgot my password, how do I get back into my account?
? The password reset email never arrived in my inbox
? I can't remember my login password anymore

Turn on two-factor authentication
Two-factor authentication adds a one-time code from an authenticator app to your sign-in.
Open Security settings, choose "Enable two-factor", scan the QR code with Google
Authenticator or a similar app and type the six-digit code to confirm. Keep the recovery
codes somewhere safe.
? How can I make my login more secure with a code on my phone?
? Where do I set up 2FA with an authenticator app?
? I want a verification code required every time someone signs in

Change the email address of your account
Go to Profile, edit the email field and save. We send a confirmation link to the new
address; the change applies once you click it. Your old address keeps working until then.
? How do I update the email I use to log in?
? I have a new work address and need to switch my account to it
? Can I use a different e-mail for my profile?

Add or remove users on your team
Administrators invite colleagues from Settings > Users > Invite user. Each invitation
uses one seat of your plan. To remove someone, deactivate the user: their records stay and
the seat is freed.
? How do I invite a new colleague to our workspace?
? A coworker left the company, how do I take away their access?
? Where can I add more people to our account?

Close your account and delete your data
Account owners can close the account under Settings > Account > Close account. All data is
deleted permanently after 30 days; export anything you want to keep first. We confirm the
deletion by email.
? I want to cancel everything and have my data erased
? How do I permanently remove my company account?
? Can you delete all our information from your servers?

Download an invoice as a PDF
Every invoice is listed under Billing > Invoices. Click the invoice number and choose
"Download PDF". Invoices for the last seven years are kept.
? Where can I get a copy of last month's invoice?
? I need the bill as a PDF for our accountant
? How do I download past receipts for my payments?

Update your payment method
Open Billing > Payment method and choose "Replace card". Enter the new credit card; the
next charge uses it. We accept Visa, Mastercard and American Express.
? My credit card expired, how do I add a new one?
? How can I change the card you charge every month?
? I want to pay with a different Visa card

Request a refund
You can ask for a refund within 14 days of a payment. Open the invoice and choose "Request
refund", or write to billing. Refunds go back to the original card within 5-10 working days.
? Can I get my money back for the last payment?
? How long does it take to receive a refund on my card?
? I paid by mistake and would like the amount returned

Why was I charged twice?
A second charge is usually a pending authorisation that disappears within a few days. If
two completed charges appear on your statement, send us both transaction references and we
refund the duplicate.
? There are two identical payments on my bank statement
? You billed my card twice this month
? Why do I see a double charge for the same order?

Change or cancel your subscription
Under Billing > Plan you can upgrade, downgrade or cancel. An upgrade applies at once and is
prorated; a downgrade or cancellation takes effect at the end of the current billing period.
? How do I switch to a cheaper plan?
? I want to stop my monthly subscription
? Can I upgrade to the premium tier in the middle of the month?

Track your order
When your order ships we email a tracking number. You can also open Orders, choose the
order and click "Track shipment" to see where the parcel is with the carrier.
? Where is my package right now?
? How do I follow the delivery of what I bought?
? I did not get a tracking number for my purchase

Shipping times and costs
Standard delivery takes 3-5 working days and is free above 50 euros. Express delivery
arrives the next working day. International shipping to most countries takes 7-14 days;
customs duties are paid by the recipient.
? How long will delivery take to reach me?
? Do you ship abroad and how much does it cost?
? Is there a faster express option for sending the parcel?

Return a damaged or wrong item
If an item arrives damaged or is not what you ordered, start a return from Orders within 30
days. Print the prepaid return label and attach photos of the damage. We send a replacement
or refund once the item is back.
? The product I received is broken, what should I do?
? You sent me the wrong article, how can I send it back?
? The box was crushed and the device inside is cracked

Change the delivery address of an order
You can change the address until the order is packed: open the order and choose "Edit
address". Once it has shipped, ask the carrier to redirect the parcel with your tracking
number.
? I moved, can I send my order to another address?
? I typed the wrong street on my order, can it still be fixed?
? Is it possible to redirect a package that has not arrived yet?

Clear a printer paper jam
Switch the printer off, open the front cover and the paper tray, and gently pull the jammed
sheet out in the direction of the paper path. Fan the paper stack before loading it again
and do not overfill the tray.
? Paper is stuck inside my printer
? The printer keeps saying there is a jam but I see nothing
? Pages get crumpled when printing

Connect the printer to Wi-Fi
On the printer's control panel choose Settings > Network > Wireless setup wizard, select
your network and enter the Wi-Fi password. The blue light stays on once the printer is
connected to the wireless network.
? How do I put my printer on the wireless network?
? The printer can't find our router
? Setting up printing without a USB cable

Install the desktop app
Download the installer for Windows or macOS from the Downloads page, open it and follow the
steps. On a Mac, drag the app into Applications. Administrator rights on the computer are
needed for the installation.
? How do I get the program on my laptop?
? Where is the download for Mac?
? The setup on Windows asks for an admin password

The mobile app crashes when it opens
Update the app from the App Store or Google Play, then restart your phone. If it still
closes right after launch, delete and reinstall the app; your data is kept on our servers.
? The app on my iPhone closes immediately after I start it
? The Android application keeps shutting down on launch
? Every time I open the phone app it crashes

Sync your calendar with Google or Outlook
Under Settings > Integrations connect your Google or Microsoft 365 account. Meetings are
synchronised both ways every five minutes. Disconnect the integration to stop syncing.
? My meetings don't show up in Outlook
? How do I link my Google Calendar?
? Appointments are not synchronized between the two calendars

Import customers from a spreadsheet
Choose Customers > Import and upload a CSV or Excel file. Map each column to a field, check
the preview and start the import. Rows with errors are listed so you can fix and upload them
again.
? How can I bring my client list in from Excel?
? Uploading contacts from a CSV file
? I have a spreadsheet of customers to load into the system

Export your data
Every list has an Export button that downloads a CSV file with the current filters. A full
export of all records is available to administrators under Settings > Data > Export all.
? How do I get my records out into a spreadsheet?
? Can I download a copy of all our data?
? I need a CSV of my contact list

Emails land in the spam folder
Add SPF and DKIM records for your sending domain (Settings > Email > Domain verification
shows the values). Avoid links to shortened URLs and too many images, and send from an
address on your verified domain.
? Our messages to customers end up in junk mail
? Recipients don't receive the emails we send them
? How do I verify my domain so mail is delivered?

Set up your email signature
Open Profile > Email signature, write your signature and save. It is added to every email
you send from the app; you can include your name, title, phone number and a logo image.
? How do I add my name and phone at the bottom of my emails?
? Where do I change the footer of outgoing mails?
? Can I put our logo under my messages?

Turn notifications on or off
Under Profile > Notifications choose which events send you an email, a push message or
nothing. You can also set quiet hours when no push notifications are sent.
? I get too many alert emails, how do I stop them?
? How can I mute push messages at night?
? I no longer receive notifications when a task is assigned to me

Change your language and time zone
Open Profile > Preferences and pick your language, time zone and date format. Times across
the app are then shown in your own time zone.
? The times shown are wrong by several hours
? How do I switch the interface to Chinese?
? Can I change the date format to day/month/year?

A page does not load or looks broken
Use a current version of Chrome, Firefox, Safari or Edge. Clear your browser cache and
cookies, turn off ad blockers for our site and reload the page.
? The website shows a blank white screen
? Buttons don't respond and the layout is messed up
? The dashboard keeps spinning and never finishes loading

Create an API key
Administrators create API keys under Settings > API. Give the key a name and choose its
permissions; copy it right away, as it is shown only once. Revoke a key you no longer use.
? How do I get a token to access your API?
? Where can I generate credentials for our integration?
? I lost my API key, can I see it again?

Webhooks are not delivered
Webhook calls need an HTTPS endpoint that answers within 10 seconds with a 2xx status. Failed
deliveries are retried for 24 hours; the webhook log under Settings > API shows each attempt
and the response we got.
? Our endpoint is not receiving the event callbacks
? The webhook stopped firing after we changed our server
? How do I see why the HTTP notifications to our URL failed?

Single sign-on with SAML
On the Enterprise plan, administrators can configure single sign-on under Settings >
Security > SSO. Enter your identity provider's metadata URL (Okta, Azure AD, Google
Workspace) and test the connection before enforcing it.
? Can our staff log in with their Okta accounts?
? How do we set up SSO with Azure Active Directory?
? We want employees to use the company identity provider to sign in

Restore deleted records
Deleted records stay in the Trash for 30 days. Open Trash, select the records and choose
"Restore". After 30 days they are removed for good, but daily backups are kept for 90 days
and support can recover data from them.
? I accidentally removed a customer, can I get it back?
? Is there a recycle bin for things I deleted?
? Do you keep backups if we lose data?

Hardware warranty
Our devices come with a two-year warranty against manufacturing defects. It does not cover
drops, water damage or batteries worn by normal use. To make a claim, send the serial number
and a description of the fault.
? Is my device still covered if it stops working after a year?
? What does the guarantee include?
? How do I file a claim for a defective unit?

The battery does not charge
Use the original charger and cable and plug it into a wall socket, not a computer port.
Check the charging port for dust. If the charging light does not come on after 30 minutes,
hold the power button for 20 seconds to reset the device.
? My device won't power up even when plugged in
? The charging light never turns on
? It stays at zero percent no matter how long it is connected

Update the device firmware
Connect the device to Wi-Fi and open Settings > About > Check for updates. Keep it on the
charger during the update and do not switch it off; it restarts by itself when done.
? How do I install the latest software version on the device?
? Is there an upgrade for the firmware?
? The device says a new version is available, is it safe to install it?

The VPN connection keeps dropping
Make sure you use the latest VPN client and switch the protocol to TCP under Settings >
Connection. Disable power saving for network adapters, and check that your router allows
VPN passthrough.
? My remote access to the office network disconnects every few minutes
? VPN client loses the tunnel all the time
? How do I stop the secure connection from cutting out when working from home?

Reset the router to factory settings
Press and hold the reset button on the back of the router for ten seconds until the lights
flash. All settings, including the Wi-Fi name and password, return to the defaults printed
on the label.
? How do I wipe all the settings on my modem?
? I forgot the admin login of the router and want to start over
? Restoring the box to how it was out of the factory

Add a VAT number to your invoices
Enter your company's VAT or tax ID under Billing > Company details. It appears on all
invoices issued after you save it; for tax exemption, upload your exemption certificate on
the same page.
? Our tax ID is missing from the bills
? How do we get a VAT exemption as a non-profit?
? Where do I put the company registration number for invoicing?

A discount code does not work
Discount codes are case-sensitive and valid only until their end date. Some codes apply only
to certain products or to a first order. Enter the code in the cart before choosing payment.
? The coupon I got is rejected at checkout
? Why isn't my promo code giving me the reduction?
? Where do I type a voucher when I order?

Check a gift card balance
Enter the gift card number and PIN on the Gift cards page to see the remaining balance. Gift
cards are valid for three years and can be combined with other payment methods at checkout.
? How much money is left on my gift voucher?
? Can I pay part of an order with a present card and the rest by card?
? Does the gift card expire?

Keyboard shortcuts and screen readers
The app works with screen readers such as NVDA, JAWS and VoiceOver. Press "?" anywhere to
see the keyboard shortcuts; every action can be reached without a mouse.
? Is the application accessible for blind users?
? What are the hotkeys to navigate faster?
? Can I use the product without a mouse?

Contact support and opening hours
Our support team answers by chat and phone Monday to Friday, 8:00 to 18:00 CET, and by email
around the clock. Customers on the Enterprise plan have a 24/7 phone line.
? When can I call someone for help?
? What time is your help desk open?
? Is there a phone number to talk to a person?
"""

CHINESE_TEXT = """
重設忘記的密碼
在登入頁面點選「忘記密碼」，輸入帳號的電子郵件地址。
我們會寄出一小時內有效的重設連結；若沒收到信，請檢查垃圾郵件匣，
或請管理員重新寄送邀請。
? 我忘記密碼了，要怎麼重新登入？
? 一直沒收到重設密碼的信
? 想不起來登入用的密碼怎麼辦

啟用兩步驟驗證
兩步驟驗證會在登入時要求驗證器應用程式產生的一次性驗證碼。
到「安全性設定」選擇「啟用兩步驟驗證」，用 Google Authenticator
等應用程式掃描 QR 碼，輸入六位數驗證碼即可完成。請妥善保存備用碼。
? 要怎麼讓帳號登入更安全，用手機收驗證碼？
? 在哪裡設定驗證器 App？
? 希望每次登入都要輸入一次性的碼

變更帳號的電子郵件
到「個人資料」修改電子郵件欄位並儲存。我們會寄確認連結到新信箱，
點擊後才會生效；在那之前舊信箱仍可使用。
? 登入用的信箱要怎麼換掉？
? 我換了公司的新郵件地址，帳號要改成新的
? 個人資料裡的 email 可以改嗎

新增或移除團隊成員
管理員可在「設定 > 使用者 > 邀請使用者」邀請同事，每位使用者佔用方案的一個席次。
要移除成員請停用該使用者：資料會保留，席次也會釋出。
? 怎麼邀請新同事加入我們的工作區？
? 有員工離職了，要怎麼取消他的權限？
? 哪裡可以增加帳號的使用人數

關閉帳號並刪除資料
帳號擁有者可在「設定 > 帳號 > 關閉帳號」關閉帳號。所有資料會在 30 天後永久刪除，
請先匯出需要保留的資料。刪除完成後會以電子郵件通知。
? 我想停止使用並把所有資料清除
? 公司帳號要怎麼永久註銷？
? 可以把我們的資訊從你們的伺服器上全部刪掉嗎

下載 PDF 格式的發票
所有發票都列在「帳務 > 發票」。點選發票號碼後選擇「下載 PDF」。
系統保存最近七年的發票。
? 上個月的發票要去哪裡找？
? 會計需要 PDF 檔的帳單
? 以前的付款收據可以下載嗎

更新付款方式
開啟「帳務 > 付款方式」並選擇「更換信用卡」。輸入新的信用卡後，下次扣款就會使用新卡。
我們接受 Visa、Mastercard 與美國運通卡。
? 我的信用卡過期了，要怎麼換新卡？
? 每個月扣款的卡片可以改嗎
? 想改用另一張 Visa 卡付款

申請退款
付款後 14 天內可以申請退款。開啟該筆發票並選擇「申請退款」，或寫信給帳務部門。
退款會在 5 到 10 個工作天內退回原信用卡。
? 上一筆付款可以退錢嗎？
? 退款多久會回到我的卡上
? 我不小心付錯了，想把錢拿回來

為什麼被重複扣款？
第二筆扣款通常是暫時的預先授權，幾天內會自動消失。若對帳單上出現兩筆已完成的扣款，
請提供兩筆交易編號，我們會退還重複的那筆。
? 銀行對帳單上有兩筆一樣的付款
? 這個月我的卡被扣了兩次錢
? 同一張訂單為什麼收費兩次

變更或取消訂閱方案
在「帳務 > 方案」可以升級、降級或取消。升級立即生效並按比例計費；
降級或取消會在目前的計費週期結束時生效。
? 怎麼改成比較便宜的方案？
? 我想停止每月的訂閱
? 月中可以升級到進階版嗎

追蹤您的訂單
訂單出貨後我們會以電子郵件寄出物流追蹤編號。您也可以到「訂單」選擇該筆訂單，
點選「追蹤貨件」查看包裹目前在物流公司的位置。
? 我的包裹現在到哪裡了？
? 買的東西要怎麼查配送進度
? 我沒有收到訂單的追蹤號碼

運送時間與運費
一般配送需要 3 到 5 個工作天，滿 1500 元免運費。快速到貨隔一個工作天送達。
寄送海外大多數國家需要 7 到 14 天，關稅由收件人支付。
? 寄到我這邊大概要幾天？
? 你們有寄國外嗎？運費多少
? 有沒有比較快的宅配選項

退回損壞或錯誤的商品
若收到的商品損壞或與訂購的不同，請在 30 天內從「訂單」申請退貨。
列印預付的退貨標籤並附上損壞照片。商品寄回後我們會換新品或退款。
? 收到的產品是壞的，該怎麼辦？
? 你們寄錯東西給我，要怎麼退回
? 箱子被壓扁了，裡面的機器有裂痕

變更訂單的收件地址
訂單尚未包裝前都可以修改地址：開啟訂單並選擇「編輯地址」。
若已出貨，請用追蹤編號聯絡物流公司改送。
? 我搬家了，訂單可以寄到別的地方嗎？
? 下單時地址打錯了還能改嗎
? 還沒送到的包裹可以改送其他地點嗎

排除印表機卡紙
關閉印表機電源，打開前蓋與紙匣，順著送紙方向輕輕拉出卡住的紙張。
重新放紙前先把紙疊撥鬆，紙匣也不要裝得太滿。
? 紙卡在印表機裡面出不來
? 印表機一直顯示卡紙，但我什麼都沒看到
? 列印的時候紙張都皺掉

將印表機連上 Wi-Fi
在印表機的控制面板選擇「設定 > 網路 > 無線設定精靈」，選取您的網路並輸入 Wi-Fi 密碼。
連上無線網路後藍燈會恆亮。
? 印表機要怎麼接上無線網路？
? 印表機找不到我們的路由器
? 不用 USB 線要怎麼設定列印

安裝桌面應用程式
從下載頁面取得 Windows 或 macOS 的安裝程式，開啟後依照步驟完成。
Mac 請將程式拖曳到「應用程式」資料夾。安裝時需要電腦的系統管理員權限。
? 要怎麼把程式裝到我的筆電上？
? Mac 版的下載在哪裡
? 在 Windows 上安裝時要求輸入管理員密碼

手機 App 一開啟就閃退
請從 App Store 或 Google Play 更新 App，然後重新啟動手機。
若開啟後仍立即關閉，請刪除並重新安裝 App；您的資料保存在我們的伺服器上。
? iPhone 上的 App 一打開就自己關掉
? Android 應用程式啟動後一直當掉
? 每次開手機程式都會閃退

與 Google 或 Outlook 行事曆同步
在「設定 > 整合」連結您的 Google 或 Microsoft 365 帳號。
會議每五分鐘雙向同步一次。中斷整合即可停止同步。
? 我的會議沒有出現在 Outlook 裡
? 要怎麼連結 Google 日曆？
? 兩邊行事曆的約會沒有同步

從試算表匯入客戶
選擇「客戶 > 匯入」並上傳 CSV 或 Excel 檔案。將每個欄位對應到系統欄位，
檢查預覽後開始匯入。有錯誤的資料列會列出，方便修正後重新上傳。
? 客戶名單要怎麼從 Excel 匯進來？
? 用 CSV 檔上傳聯絡人
? 我有一份客戶資料表要載入系統

匯出您的資料
每個清單都有「匯出」按鈕，會依目前的篩選條件下載 CSV 檔。
管理員可在「設定 > 資料 > 全部匯出」匯出所有紀錄。
? 怎麼把紀錄匯成試算表？
? 可以下載我們全部資料的備份嗎
? 我需要聯絡人清單的 CSV

郵件被歸到垃圾郵件
請為寄件網域加入 SPF 與 DKIM 紀錄（「設定 > 電子郵件 > 網域驗證」會顯示數值）。
避免使用縮網址與過多圖片，並使用已驗證網域的地址寄信。
? 我們寄給客戶的信都跑到垃圾信件匣
? 收件人收不到我們寄出的郵件
? 要怎麼驗證網域讓信件順利送達

設定電子郵件簽名檔
開啟「個人資料 > 電子郵件簽名」，輸入簽名後儲存。之後從系統寄出的每封信都會附上簽名，
可以包含姓名、職稱、電話與標誌圖片。
? 怎麼在信件最下面加上我的名字和電話？
? 寄出郵件的結尾要在哪裡修改
? 可以在信件下方放公司標誌嗎

開啟或關閉通知
在「個人資料 > 通知」選擇哪些事件要寄電子郵件、推播訊息或不通知。
也可以設定勿擾時段，期間不會發送推播通知。
? 提醒信太多了，要怎麼關掉？
? 晚上可以讓推播靜音嗎
? 有任務指派給我時都沒有收到通知

變更語言與時區
開啟「個人資料 > 偏好設定」選擇語言、時區與日期格式。
系統中的時間都會以您的時區顯示。
? 畫面上顯示的時間差了好幾個小時
? 介面要怎麼切換成英文？
? 日期格式可以改成年/月/日嗎

網頁無法載入或版面跑掉
請使用最新版的 Chrome、Firefox、Safari 或 Edge。清除瀏覽器快取與 Cookie，
關閉本網站的廣告封鎖程式後重新整理頁面。
? 網站只顯示一片空白
? 按鈕按了沒反應，版面也亂掉
? 儀表板一直轉圈圈載入不完

建立 API 金鑰
管理員可在「設定 > API」建立 API 金鑰。為金鑰命名並選擇權限；金鑰只會顯示一次，
請立即複製。不再使用的金鑰請撤銷。
? 要怎麼取得存取 API 的權杖？
? 串接系統的憑證要在哪裡產生
? API 金鑰弄丟了，還能再看到嗎

Webhook 沒有送達
Webhook 需要 HTTPS 端點，並在 10 秒內回應 2xx 狀態碼。失敗的傳送會在 24 小時內重試；
「設定 > API」中的 Webhook 紀錄會顯示每次嘗試與收到的回應。
? 我們的端點收不到事件回呼
? 換了伺服器之後 webhook 就不觸發了
? 怎麼查看傳到我們網址的 HTTP 通知為什麼失敗

使用 SAML 單一登入
企業版方案的管理員可在「設定 > 安全性 > SSO」設定單一登入。
輸入身分識別提供者（Okta、Azure AD、Google Workspace）的中繼資料網址，
並在強制啟用前先測試連線。
? 員工可以用 Okta 帳號登入嗎？
? 要怎麼用 Azure AD 設定 SSO
? 我們希望員工用公司的身分驗證服務登入

還原已刪除的紀錄
刪除的紀錄會在垃圾桶保留 30 天。開啟垃圾桶，選取紀錄後選擇「還原」。
超過 30 天就會永久移除，但每日備份保留 90 天，客服可以從備份救回資料。
? 我不小心刪掉一個客戶，可以救回來嗎？
? 刪除的東西有資源回收筒嗎
? 如果資料遺失，你們有備份嗎

硬體保固
我們的裝置提供兩年製造瑕疵保固。摔落、進水以及正常使用造成的電池老化不在保固範圍內。
申請保固請提供序號與故障說明。
? 用了一年機器壞了還在保固內嗎？
? 保固包含哪些項目
? 瑕疵品要怎麼申請維修

電池無法充電
請使用原廠充電器與傳輸線，並插在牆上插座而不是電腦的連接埠。檢查充電孔是否有灰塵。
若 30 分鐘後充電燈仍未亮起，請按住電源鍵 20 秒重置裝置。
? 插著電源裝置還是開不了機
? 充電指示燈都不會亮
? 不管接多久電量都是零

更新裝置韌體
將裝置連上 Wi-Fi，開啟「設定 > 關於 > 檢查更新」。更新時請接上充電器且不要關機，
完成後裝置會自動重新啟動。
? 裝置要怎麼安裝最新的軟體版本？
? 韌體有新的升級嗎
? 裝置說有新版本可以更新，安裝安全嗎

VPN 連線一直中斷
請使用最新版的 VPN 用戶端，並在「設定 > 連線」將通訊協定改為 TCP。
關閉網路卡的省電模式，並確認路由器允許 VPN 穿透。
? 連回公司網路每幾分鐘就斷線
? VPN 一直掉線
? 在家工作時安全連線老是斷掉

將路由器重設為原廠設定
按住路由器背面的重設鍵十秒，直到指示燈閃爍。
所有設定（包含 Wi-Fi 名稱與密碼）都會恢復成標籤上印的預設值。
? 數據機的設定要怎麼全部清除？
? 忘了路由器的管理密碼，想從頭開始設定
? 把機器恢復成剛出廠的狀態

在發票上加上統一編號
請在「帳務 > 公司資料」輸入公司的統一編號或稅籍編號。儲存後開立的發票都會顯示；
若要申請免稅，請在同一頁上傳免稅證明。
? 帳單上沒有我們公司的統編
? 非營利組織要怎麼申請免稅？
? 開發票用的公司編號要填在哪裡

折扣碼無法使用
折扣碼有大小寫之分，且只在截止日期前有效。部分折扣碼只適用於特定商品或首次訂購。
請在選擇付款方式前於購物車輸入折扣碼。
? 結帳時優惠券一直被拒絕
? 為什麼我的促銷代碼沒有折抵？
? 下單時折價券要輸入在哪裡

查詢禮物卡餘額
在「禮物卡」頁面輸入卡號與密碼即可查看剩餘金額。禮物卡有效期限三年，
結帳時可以與其他付款方式合併使用。
? 我的禮券還剩多少錢？
? 訂單可以一部分用禮物卡、其他刷卡嗎
? 禮物卡會過期嗎

鍵盤快速鍵與螢幕閱讀器
本系統支援 NVDA、JAWS 與 VoiceOver 等螢幕閱讀器。在任何頁面按「?」可查看鍵盤快速鍵，
所有操作都不需要滑鼠。
? 視障使用者可以使用這個系統嗎？
? 有哪些快捷鍵可以更快操作
? 不用滑鼠可以操作嗎

聯絡客服與服務時間
客服團隊週一至週五 8:00 至 18:00 提供線上客服與電話服務，電子郵件則全天候受理。
企業版客戶享有 24 小時電話專線。
? 什麼時候可以打電話找人幫忙？
? 你們客服幾點上班
? 有電話可以直接跟真人說話嗎
"""

ARTICLES = _parse(ENGLISH_TEXT, "en") + _parse(CHINESE_TEXT, "zh_Hant")


def questions(language: str | None = None) -> list[tuple[str, str, int]]:
    """[(question, its language, the position of its article in ARTICLES)]."""
    return [
        (question, article.language, position)
        for position, article in enumerate(ARTICLES)
        if language in (None, article.language)
        for question in article.questions
    ]


def _row(article: LabelledArticle, now, status, visibility, prefix: str = "") -> dict:
    title = prefix + article.title
    return {
        "title": title,
        "body": article.body,
        "language": article.language,
        "status": status,
        "visibility": visibility,
        "is_faq": False,
        "published_at": now if status is ArticleStatus.PUBLISHED else None,
        "view_count": 0,
        "helpful_yes": 0,
        "helpful_no": 0,
        "search_text": normalise(title, article.body),
        "custom": {},
        "created_at": now,
        "updated_at": now,
    }


def write_articles(seed: int = 7) -> dict[int, int]:
    """Insert the set's articles (published, public; in a shuffled order so ids say
    nothing) and the internal and draft copies of a few; {position in ARTICLES: id}."""
    rng = random.Random(seed)
    now = utcnow()
    order = list(range(len(ARTICLES)))
    rng.shuffle(order)
    published, public = ArticleStatus.PUBLISHED, ArticleVisibility.PUBLIC
    rows = [_row(ARTICLES[position], now, published, public) for position in order]
    table = KbArticle.__table__
    db.session.execute(sa.insert(table), rows)
    for position in rng.sample(order, DISTRACTORS):
        article = ARTICLES[position]
        internal = _row(article, now, published, ArticleVisibility.INTERNAL, "Internal: ")
        draft = _row(article, now, ArticleStatus.DRAFT, public, "Draft: ")
        db.session.execute(sa.insert(table), [internal, draft])
    db.session.flush()
    ids = dict(
        db.session.execute(
            sa.select(table.c.title, table.c.id).where(
                table.c.status == published, table.c.visibility == public
            )
        ).all()
    )
    return {position: ids[article.title] for position, article in enumerate(ARTICLES)}


def _baseline(question: str) -> list[int] | None:
    """The ids the old substring ranking suggests, or None where it cannot run (a scratch
    database made without the migrations has no full-text tables)."""
    try:
        with db.session.begin_nested():
            return [a.id for a in kb_search.suggest(question, limit=5, public_only=True)]
    except sa.exc.DatabaseError:
        return None


def evaluate(*, seed: int = 7, size: float = 1.0) -> dict:
    """Write the set, train, ask every question as the portal help bot does (public
    articles, the question's language first) and return recall@5 and the mean reciprocal
    rank per language, the same recall of the old substring ranking (kb_search.suggest),
    and how many suggestions were not public published articles (must be 0). The set is
    fixed: `size` changes nothing."""
    from app.services.predictions import kb_retrieval

    ids = write_articles(seed)
    model = kb_retrieval.train()
    allowed = set(ids.values())
    figures: dict = {}
    leaks = 0
    seconds = 0.0
    baseline_ran = True
    for language, short in (("en", "en"), ("zh_Hant", "zh")):
        hits = baseline_hits = 0
        reciprocal = 0.0
        labelled = questions(language)
        for question, _, position in labelled:
            started = time.perf_counter()
            found = [a.id for a in kb_retrieval.answers(question, language=language, limit=5)]
            seconds += time.perf_counter() - started
            leaks += sum(1 for article_id in found if article_id not in allowed)
            if ids[position] in found:
                hits += 1
                reciprocal += 1 / (found.index(ids[position]) + 1)
            old = _baseline(question)
            baseline_ran = baseline_ran and old is not None
            baseline_hits += old is not None and ids[position] in old
        figures[f"recall_at_5_{short}"] = round(hits / len(labelled), 4)
        figures[f"mrr_{short}"] = round(reciprocal / len(labelled), 4)
        if baseline_ran:
            figures[f"baseline_recall_at_5_{short}"] = round(baseline_hits / len(labelled), 4)
        figures[f"questions_{short}"] = len(labelled)
    asked = figures["questions_en"] + figures["questions_zh"]
    figures["ms_per_question"] = round(seconds * 1000 / asked, 2)
    figures["portal_leaks"] = leaks
    figures["articles"] = model.metrics["articles"]
    figures["terms"] = model.metrics["terms"]
    return figures
