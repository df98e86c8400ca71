"""真名社区 (Zhenming): a Chinese-language community app that requires real-name
verification from non-mainland numbers. After the SMS code, any number outside +86 is
sent to an ID form (real name and Chinese resident ID number) that a foreign user
cannot complete: the measured barrier is ``id_verification_required``. The UI is
simplified Chinese, or traditional Chinese on zh-TW / zh-HK / zh-MO / zh-Hant devices.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

from harness.sim.apps.base import AppContext
from harness.sim.apps.signup import PhoneSignupApp
from harness.sim.apps.texts import AppTexts
from harness.sim.ui import Node, button, edit_text, text_view

ID_GATE = "real_name"

_HANS = AppTexts(
    consent_title="用户协议与隐私政策",
    consent_body=(
        "欢迎使用真名社区！我们依据《用户协议》和《隐私政策》处理您的个人信息。"
        "点击“同意”即表示您已阅读并同意上述条款。"
    ),
    agree="同意",
    disagree="不同意",
    tagline="真实的人，真实的声音",
    signup_phone="手机号登录/注册",
    login="",
    phone_title="请输入手机号码",
    country_code_desc="国家/地区代码",
    phone_hint="请输入手机号",
    get_code="获取验证码",
    resend_in="{seconds}秒后重新获取",
    resend="重新获取",
    code_hint="请输入验证码",
    submit="登录",
    code_sent="验证码已发送至 {number}",
    invalid_phone="请输入正确的手机号码",
    need_code_first="请先获取验证码",
    incorrect_code="验证码错误",
    picker_title="选择国家和地区",
    search_hint="搜索国家/地区或区号",
    no_results="无结果",
    home_title="首页",
    home_body="推荐 · {country}",
    compose="发帖",
    composer_title="发布动态",
    post_hint="分享新鲜事…",
    send="发布",
    posted="发布成功",
    empty_post="内容不能为空",
    sms_body="【真名社区】您的验证码为{code}，5分钟内有效，请勿泄露给他人。",
    script="zh-Hans",
    app_name="真名社区",
)

_HANT = AppTexts(
    consent_title="用戶協議與隱私政策",
    consent_body=(
        "歡迎使用真名社區！我們依據《用戶協議》和《隱私政策》處理您的個人資料。"
        "點擊「同意」即表示您已閱讀並同意上述條款。"
    ),
    agree="同意",
    disagree="不同意",
    tagline="真實的人，真實的聲音",
    signup_phone="手機號登入/註冊",
    login="",
    phone_title="請輸入手機號碼",
    country_code_desc="國家/地區代碼",
    phone_hint="請輸入手機號",
    get_code="獲取驗證碼",
    resend_in="{seconds}秒後重新獲取",
    resend="重新獲取",
    code_hint="請輸入驗證碼",
    submit="登入",
    code_sent="驗證碼已發送至 {number}",
    invalid_phone="請輸入正確的手機號碼",
    need_code_first="請先獲取驗證碼",
    incorrect_code="驗證碼錯誤",
    picker_title="選擇國家和地區",
    search_hint="搜尋國家/地區或區號",
    no_results="無結果",
    home_title="首頁",
    home_body="推薦 · {country}",
    compose="發帖",
    composer_title="發佈動態",
    post_hint="分享新鮮事…",
    send="發佈",
    posted="發佈成功",
    empty_post="內容不能為空",
    sms_body="【真名社區】您的驗證碼為{code}，5分鐘內有效，請勿洩露給他人。",
    script="zh-Hant",
    app_name="真名社區",
)


@dataclass(frozen=True)
class _IdTexts:
    title: str
    notice: str
    real_name: str
    id_number: str
    submit: str
    failed: str


_ID_HANS = _IdTexts(
    title="实名认证",
    notice="根据国家相关法律法规要求，请完成实名认证",
    real_name="真实姓名",
    id_number="身份证号",
    submit="提交认证",
    failed="认证失败：姓名与身份证号不匹配",
)
_ID_HANT = _IdTexts(
    title="實名認證",
    notice="根據國家相關法律法規要求，請完成實名認證",
    real_name="真實姓名",
    id_number="身份證號",
    submit="提交認證",
    failed="認證失敗：姓名與身份證號不符",
)


class Zhenming(PhoneSignupApp):
    """+86 numbers reach 首页; every other number gets the 实名认证 ID form."""

    package = "org.harnessdemo.zhenming"
    label = "真名社区"
    sms_sender = "106902881234"
    fallback_region = "CN"

    def texts(self, ctx: AppContext) -> AppTexts:
        return _HANT if ctx.profile.prefers_traditional_chinese else _HANS

    def default_region(self, ctx: AppContext) -> str:
        return "CN"  # mainland apps preselect +86 whatever the SIM says

    def gate_after_signup(self, number: phonenumbers.PhoneNumber, ctx: AppContext) -> str | None:
        return None if number.country_code == 86 else ID_GATE

    def gate_content(self, gate: str, ctx: AppContext) -> list[Node]:
        t = _ID_HANT if ctx.profile.prefers_traditional_chinese else _ID_HANS
        return [
            text_view(t.title, rid=self.rid("verify_title"), style="title"),
            text_view(t.notice, rid=self.rid("verify_notice")),
            edit_text(
                "real_name",
                self.fields.get("real_name", ""),
                rid=self.rid("real_name"),
                hint=t.real_name,
                focused=self.focused == "real_name",
            ),
            edit_text(
                "id_number",
                self.fields.get("id_number", ""),
                rid=self.rid("id_number"),
                hint=t.id_number,
                focused=self.focused == "id_number",
            ),
            button(t.submit, "gate:submit", rid=self.rid("verify_submit")),
        ]

    def gate_tap(self, gate: str, action: str, ctx: AppContext) -> None:
        if action == "submit":
            t = _ID_HANT if ctx.profile.prefers_traditional_chinese else _ID_HANS
            self.message = t.failed
