"""Build the instruction-tuning set corpora/instructions/train.jsonl.

Every row teaches the house voice of the Sao Mai internal assistant: polite,
concise Vietnamese (or English when asked in English), grounded only in the
numbered context passages, citing them as [n], and answering with the fixed
refusal phrase when the passages do not contain the answer.

Row categories (all seeded, deterministic):

* handbook_qa        -- hand-written Q&A over the company handbook (data below),
                        gold section + 1-2 distractor passages, gold at a random position;
* law_qa             -- templated questions over a seeded sample of law articles,
                        answered with the article's first sentences;
* refusal_context    -- questions whose answer is in none of 2-3 given passages;
* refusal_no_context -- company-specific questions asked without any context;
* multi_turn         -- hand-written follow-ups with one or two earlier turns;
* english            -- English questions answered in English (incl. refusals);
* meta               -- greetings and questions about the assistant itself.

Passages are handbook sections and law articles split into chunks of at most
MAX_PASSAGE_WORDS words, close to what the serving index retrieves; a passage's
title is the document title plus heading path ("Luật Cư trú > Điều 20. ...").
Law articles listed in corpora/eval/held_out_articles.json (written by
build_eval.py) are never used.  At the end the script checks that no eval
question is a near-duplicate of a training instruction (character-trigram
Jaccard similarity < 0.5) and prints the maximum found.
"""

import argparse
import json
import math
import random
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

CORPORA = Path(__file__).resolve().parent
DOCUMENTS = CORPORA / "documents"
SOURCES = CORPORA / "sources"
SEED = 20260101

REFUSAL_VI = "Xin lỗi, tài liệu hiện có không chứa thông tin để trả lời câu hỏi này."
REFUSAL_EN = "Sorry, the available documents do not contain the information needed to answer this question."

MAX_PASSAGE_WORDS = 130      # longer sections are split into chunks, like the serving index does
MAX_ANSWER_WORDS = 80        # templated law answers are trimmed to this length
LAW_ARTICLES = 210           # articles sampled for templated law Q&A
SECOND_TEMPLATE_SHARE = 0.2  # share of sampled articles asked with a second phrasing
MAX_OVERLAP = 0.5            # eval-vs-train character-trigram Jaccard limit

# Documents whose sections are safe distractors for refusal rows (they share no facts
# with the questions they are paired with); see build_refusals().
MISC_DOCS = {"company/quy-tac-ung-xu.md", "company/van-phong.html", "company/saomai-books-faq.md"}
SAFE_FOR_MISC = {"company/nghi-phep.md", "company/luong-thuong.md",
                 "company/danh-gia-hieu-suat.md", "company/kham-suc-khoe.txt"}
NO_REFUSAL_DOCS = {"company/hoi-nhap-tuan-dau.md", "company/nghi-viec-ban-giao.md"}

EXCLUDED_LAW_TITLES = re.compile(
    r"^(Hiệu lực|Điều khoản thi hành|Điều khoản áp dụng|Quy định chuyển tiếp|Điều khoản chuyển tiếp"
    r"|Sửa đổi|Quy định chi tiết)")
INSTITUTION_WORDS = {"Bộ", "Ban", "Cục", "Sở", "Tổng", "Quỹ", "Viện", "Trung", "Văn", "Học"}
# Opening words of numbered clauses that are predicates without a subject ("Bảo đảm ...").
PREDICATE_STARTS = ("Yêu cầu", "Ban hành", "Bảo đảm", "Thực hiện", "Cung cấp", "Tuân thủ",
                    "Được ", "Có ", "Không được", "Hỗ trợ", "Ưu tiên", "Khuyến khích", "Tạo ", "Xây dựng",
                    "Tổ chức thực hiện", "Chấp hành", "Tôn trọng", "Tham gia", "Giữ ", "Phối hợp",
                    "Chủ trì", "Hướng dẫn", "Tuyên truyền", "Đào tạo", "Trang bị", "Đề xuất", "Chỉ đạo",
                    "Bồi thường", "Trả ", "Giao ", "Nhận ", "Thanh toán", "Sử dụng", "Chịu ", "Từ chối",
                    "Kiến nghị", "Bảo quản", "Thu thập", "Xử lý", "Phổ biến", "Nâng cao", "Tăng cường",
                    "Đầu tư", "Miễn ", "Giảm ")
PROPER_STARTS = ("Nhà nước", "Nước Cộng hòa", "Chính phủ", "Quốc hội", "Nhân dân", "Tòa án", "Toà án",
                 "Hội đồng", "Ủy ban", "Uỷ ban", "Viện kiểm sát", "Mặt trận", "Công đoàn", "Kiểm toán",
                 "Chủ tịch", "Thủ tướng", "Bộ trưởng", "Chánh án", "Viện trưởng", "Thủ trưởng", "Đảng",
                 "Hiến pháp", "Đoàn Thanh niên", "Việt Nam", "Công an")


# --------------------------------------------------------------------------- data: handbook Q&A
# (section heading, question, answer); "{c}" marks where the gold passage is cited.

HANDBOOK_QA = {
    "company/nghi-phep.md": [
        ("Thời giờ làm việc", "Công ty làm việc mấy giờ một ngày và mấy ngày một tuần?",
         "Dạ, Sao Mai Tech làm việc từ thứ Hai đến thứ Sáu, 8 giờ mỗi ngày, tổng cộng 40 giờ mỗi tuần {c}."),
        ("Thời giờ làm việc", "Tôi có thể bắt đầu làm việc lúc mấy giờ?",
         "Dạ, anh/chị được chọn giờ bắt đầu linh hoạt trong khoảng từ 8:00 đến 9:30 và làm đủ 8 giờ, không kể 1 giờ nghỉ trưa từ 12:00 đến 13:00 {c}."),
        ("Thời giờ làm việc", "Khung giờ lõi bắt buộc có mặt là khi nào?",
         "Dạ, khung giờ lõi là từ 9:30 đến 16:30; trong thời gian này mọi người phải có mặt hoặc trực tuyến để họp và phối hợp {c}."),
        ("Thời giờ làm việc", "Hôm qua tôi quên chấm công thì phải làm sao?",
         "Dạ, anh/chị gửi yêu cầu bổ sung công trên SaoMai People trong vòng 2 ngày làm việc; mỗi người được bổ sung tối đa 3 lần mỗi tháng {c}."),
        ("Nghỉ phép năm", "Một năm nhân viên chính thức có bao nhiêu ngày phép?",
         "Dạ, nhân viên làm việc toàn thời gian có 14 ngày phép năm có hưởng lương; cứ đủ 5 năm làm việc tại công ty thì được cộng thêm 1 ngày {c}."),
        ("Nghỉ phép năm", "Đang thử việc thì có được nghỉ phép năm không?",
         "Dạ, trong thời gian thử việc nhân viên chưa được hưởng phép năm; phép năm được tính từ ngày ký hợp đồng lao động {c}."),
        ("Nghỉ phép năm", "Có được xin nghỉ phép nửa ngày không?",
         "Dạ được, phép năm có thể nghỉ theo từng nửa ngày, buổi sáng hoặc buổi chiều {c}."),
        ("Nghỉ phép năm", "Tôi vào làm giữa năm thì phép năm được tính thế nào?",
         "Dạ, nhân viên làm chưa đủ 12 tháng được tính phép theo tỷ lệ, khoảng 1,17 ngày cho mỗi tháng làm việc kể từ ngày ký hợp đồng lao động {c}."),
        ("Thủ tục xin nghỉ phép", "Xin nghỉ phép 1 ngày thì phải gửi đơn trước bao lâu?",
         "Dạ, với kỳ nghỉ 1–2 ngày, anh/chị tạo Đơn xin nghỉ phép (mẫu NS-01) trên SaoMai People trước ít nhất 3 ngày làm việc {c}."),
        ("Thủ tục xin nghỉ phép", "Nghỉ phép dài ngày cần ai phê duyệt?",
         "Dạ, kỳ nghỉ từ 5 ngày làm việc liên tiếp trở lên cần thêm phê duyệt của Giám đốc khối, ngoài phê duyệt của quản lý trực tiếp {c}."),
        ("Thủ tục xin nghỉ phép", "Sáng nay tôi bị ốm đột xuất, cần báo nghỉ thế nào?",
         "Dạ, anh/chị báo cho quản lý trực tiếp trước 9:00 sáng qua điện thoại hoặc tin nhắn Microsoft Teams, sau đó bổ sung đơn trên SaoMai People trong vòng 2 ngày làm việc kể từ ngày đi làm trở lại {c}."),
        ("Nghỉ ốm", "Nghỉ ốm mấy ngày thì cần giấy của bác sĩ?",
         "Dạ, mỗi năm anh/chị có 3 ngày nghỉ ốm hưởng nguyên lương không cần giấy tờ y tế; từ ngày nghỉ ốm thứ 4 trong năm hoặc khi nghỉ liên tục từ 3 ngày trở lên thì phải nộp Giấy chứng nhận nghỉ việc hưởng bảo hiểm xã hội {c}."),
        ("Nghỉ ốm", "Giấy nghỉ ốm hưởng bảo hiểm xã hội nộp cho ai và trước ngày nào?",
         "Dạ, anh/chị nộp cho Phòng Nhân sự trước ngày 20 hằng tháng để kịp đưa vào hồ sơ của kỳ lương tháng đó {c}."),
        ("Nghỉ việc riêng có hưởng lương", "Tôi cưới vợ thì được nghỉ mấy ngày có lương?",
         "Dạ, khi bản thân kết hôn, nhân viên được nghỉ 3 ngày hưởng nguyên lương {c}."),
        ("Nghỉ việc riêng có hưởng lương", "Công ty có cho nghỉ vào dịp sinh nhật không?",
         "Dạ có, mỗi nhân viên được nghỉ nửa ngày có lương, sử dụng trong tháng sinh nhật của mình {c}."),
        ("Nghỉ thai sản và nghỉ khi vợ sinh con", "Vợ tôi sắp sinh, tôi được nghỉ thêm bao nhiêu ngày?",
         "Dạ, ngoài chế độ nghỉ theo bảo hiểm xã hội, công ty cho thêm 3 ngày nghỉ hưởng nguyên lương, sử dụng trong vòng 30 ngày kể từ ngày sinh {c}."),
        ("Nghỉ không hưởng lương", "Tôi muốn nghỉ không lương 2 tuần thì thủ tục thế nào?",
         "Dạ, anh/chị gửi Đơn xin nghỉ không lương (mẫu NS-03) trước ít nhất 15 ngày để Trưởng phòng và Phòng Nhân sự phê duyệt; mỗi năm được nghỉ không lương tối đa 30 ngày và chỉ khi đã dùng hết phép năm {c}."),
        ("Ngày lễ, Tết", "Ngày thành lập công ty có được nghỉ không?",
         "Dạ, chiều ngày 18/8 (ngày thành lập công ty) toàn công ty được nghỉ có lương để tham gia tiệc kỷ niệm {c}."),
    ],
    "company/lam-them-gio.md": [
        ("Nguyên tắc chung", "Ở lại văn phòng muộn mà chưa được duyệt thì có tính làm thêm giờ không?",
         "Dạ không, thời gian ở lại văn phòng mà không có phê duyệt trước của quản lý trực tiếp không được tính là làm thêm giờ {c}."),
        ("Nguyên tắc chung", "Mỗi tháng được làm thêm tối đa bao nhiêu giờ?",
         "Dạ, mỗi nhân viên làm thêm không quá 40 giờ mỗi tháng và không quá 200 giờ mỗi năm {c}."),
        ("Nguyên tắc chung", "Một ngày làm việc bình thường được làm thêm tối đa mấy giờ?",
         "Dạ, không quá 4 giờ trong một ngày làm việc bình thường; vào ngày nghỉ hằng tuần hoặc ngày lễ thì không quá 12 giờ {c}."),
        ("Đăng ký và phê duyệt", "Đăng ký làm thêm giờ dùng mẫu nào?",
         "Dạ, anh/chị dùng Phiếu đề nghị làm thêm giờ (mẫu NS-02) trên SaoMai People, ghi rõ lý do, số giờ dự kiến và mã dự án {c}."),
        ("Đăng ký và phê duyệt", "Muốn làm thêm tối nay thì phải gửi phiếu trước mấy giờ?",
         "Dạ, làm thêm vào ngày thường thì gửi phiếu trước 15:00 của chính ngày làm thêm {c}."),
        ("Đăng ký và phê duyệt", "Khi nào phiếu làm thêm giờ cần Giám đốc khối duyệt?",
         "Dạ, khi tổng số giờ làm thêm của một người vượt 20 giờ trong tháng, các phiếu tiếp theo cần thêm phê duyệt của Giám đốc khối {c}."),
        ("Tiền lương làm thêm giờ", "Làm thêm ban đêm ngày thường được trả bao nhiêu?",
         "Dạ, làm thêm vào ban đêm (từ 22:00 đến 6:00) của ngày thường được trả 210% đơn giá tiền lương giờ {c}."),
        ("Tiền lương làm thêm giờ", "Làm thêm vào ngày lễ được tính bao nhiêu phần trăm?",
         "Dạ, làm thêm ban ngày vào ngày lễ, Tết được trả 300%, ban đêm 390%; mức 300% chưa bao gồm tiền lương của ngày lễ mà nhân viên vẫn được hưởng {c}."),
        ("Tiền lương làm thêm giờ", "Tiền làm thêm giờ được trả vào kỳ lương nào?",
         "Dạ, giờ làm thêm được chốt vào ngày 25 hằng tháng; phần phát sinh từ ngày 26 tháng trước đến ngày 25 tháng này được thanh toán trong kỳ lương ngày 5 của tháng kế tiếp {c}."),
        ("Nghỉ bù thay cho tiền làm thêm", "Tôi có thể đổi giờ làm thêm sang nghỉ bù không?",
         "Dạ được, anh/chị chọn nghỉ bù khi gửi phiếu NS-02; 1 giờ làm thêm ngày thường được 1,5 giờ nghỉ bù, 1 giờ làm thêm ngày nghỉ hằng tuần được 2 giờ nghỉ bù {c}."),
        ("Nghỉ bù thay cho tiền làm thêm", "Làm thêm ngày lễ có được chọn nghỉ bù không?",
         "Dạ không, làm thêm vào ngày lễ, Tết chỉ được thanh toán bằng tiền {c}."),
        ("Trực sự cố (on-call)", "Ca trực sự cố ngày thường kéo dài từ mấy giờ đến mấy giờ?",
         "Dạ, ca trực ngày thường kéo dài từ 18:00 hôm trước đến 8:00 sáng hôm sau; ca trực cuối tuần và ngày lễ kéo dài 24 giờ {c}."),
        ("Trực sự cố (on-call)", "Khi đang trực, nhận cảnh báo thì phải phản hồi trong bao lâu?",
         "Dạ, người trực phải phản hồi cảnh báo trong vòng 15 phút {c}."),
        ("Trực sự cố (on-call)", "Lịch trực sự cố tháng sau được công bố ở đâu?",
         "Dạ, lịch trực tháng sau được công bố trên Confluence trước ngày 25 của tháng trước {c}."),
        ("Các trường hợp hạn chế", "Nhân viên đang thử việc có được làm thêm giờ không?",
         "Dạ có, nhân viên thử việc được làm thêm và hưởng tiền làm thêm như nhân viên chính thức {c}."),
        ("Các trường hợp hạn chế", "Tôi đang nuôi con 8 tháng tuổi, công ty có xếp làm thêm giờ cho tôi không?",
         "Dạ, công ty không bố trí làm thêm giờ hoặc làm đêm cho lao động đang nuôi con dưới 12 tháng tuổi, trừ khi chính anh/chị đồng ý bằng văn bản {c}."),
    ],
    "company/chi-phi-hoan-ung.docx": [
        ("Phạm vi áp dụng", "Chi phí đi công tác có áp dụng quy định thanh toán chi phí chung không?",
         "Dạ không, chi phí đi công tác được quy định riêng tại Quy định công tác và công tác phí (TC-QĐ-04) {c}."),
        ("Tạm ứng", "Khoản chi bao nhiêu thì được xin tạm ứng?",
         "Dạ, khi khoản chi dự kiến từ 5.000.000 đồng trở lên, anh/chị có thể xin tạm ứng bằng Giấy đề nghị tạm ứng (mẫu TC-01), gửi trước ngày cần tiền ít nhất 5 ngày làm việc {c}."),
        ("Tạm ứng", "Kế toán chuyển tiền tạm ứng vào những ngày nào?",
         "Dạ, Kế toán chuyển khoản tạm ứng vào thứ Ba và thứ Năm hằng tuần, vào tài khoản nhận lương của nhân viên {c}."),
        ("Tạm ứng", "Tôi còn một khoản tạm ứng chưa hoàn, có xin tạm ứng tiếp được không?",
         "Dạ không, khi còn khoản tạm ứng chưa hoàn thì nhân viên không được tạm ứng khoản mới {c}."),
        ("Tạm ứng", "Hoàn ứng trong thời hạn bao lâu?",
         "Dạ, anh/chị phải hoàn ứng trong vòng 7 ngày làm việc kể từ khi kết thúc công việc {c}."),
        ("Đề nghị thanh toán", "Tự bỏ tiền mua văn phòng phẩm gấp thì xin thanh toán lại thế nào?",
         "Dạ, anh/chị lập Đề nghị thanh toán (mẫu TC-02) trên SaoMai People, đính kèm ảnh hoặc tệp hóa đơn và nộp bản gốc chứng từ giấy (nếu có) cho Kế toán {c}."),
        ("Đề nghị thanh toán", "Hồ sơ thanh toán chi phí phải nộp trong bao lâu?",
         "Dạ, hồ sơ phải nộp trong vòng 30 ngày kể từ ngày phát sinh chi phí; riêng chi phí phát sinh trong tháng 12 phải nộp trước ngày 20/12 {c}."),
        ("Đề nghị thanh toán", "Nộp hồ sơ thanh toán rồi thì bao lâu nhận được tiền?",
         "Dạ, hồ sơ hợp lệ được thanh toán trong 7 ngày làm việc bằng chuyển khoản {c}."),
        ("Chứng từ hợp lệ", "Khoản chi bao nhiêu thì bắt buộc phải có hóa đơn điện tử?",
         "Dạ, khoản chi từ 200.000 đồng trở lên bắt buộc có hóa đơn điện tử ghi tên, mã số thuế và địa chỉ của công ty; dưới 200.000 đồng được dùng biên lai hoặc phiếu thu {c}."),
        ("Chứng từ hợp lệ", "Thanh toán cho nhà cung cấp 8 triệu đồng bằng tiền mặt có được không?",
         "Dạ không, khoản chi từ 5.000.000 đồng trở lên phải thanh toán bằng chuyển khoản hoặc thẻ tín dụng công ty {c}."),
        ("Chứng từ hợp lệ", "Thông tin xuất hóa đơn của công ty xem ở đâu?",
         "Dạ, thông tin xuất hóa đơn được đăng tại mục Tài chính trên cổng nội bộ portal.saomaitech.vn {c}."),
        ("Tiếp khách", "Chi phí tiếp khách mỗi người tối đa bao nhiêu?",
         "Dạ, chi phí tiếp khách tối đa 700.000 đồng cho mỗi người tham dự một bữa {c}."),
        ("Tiếp khách", "Hóa đơn tiếp khách có rượu bia thì được thanh toán không?",
         "Dạ được, nhưng đồ uống có cồn không được vượt quá 30% giá trị hóa đơn; đề nghị thanh toán phải ghi tên khách, đơn vị của khách và mục đích buổi làm việc {c}."),
        ("Đi lại nội thành", "Đi gặp khách hàng trong nội thành thì thanh toán tiền xe thế nào?",
         "Dạ, anh/chị dùng tài khoản doanh nghiệp trên ứng dụng gọi xe do Phòng Hành chính cấp; chi phí được trừ trực tiếp vào tài khoản công ty nên không cần lập đề nghị thanh toán {c}."),
        ("Đi lại nội thành", "Làm thêm đến 22 giờ thì có được thanh toán taxi về nhà không?",
         "Dạ có, nhân viên làm thêm giờ có phê duyệt và rời văn phòng sau 21:00 được thanh toán taxi về nhà tối đa 200.000 đồng mỗi chuyến {c}."),
        ("Chi phí không được thanh toán", "Bị phạt vi phạm giao thông khi đi gặp khách thì công ty có trả không?",
         "Dạ không, tiền phạt vi phạm giao thông hoặc vi phạm hành chính không được thanh toán {c}."),
    ],
    "company/cong-tac-phi.pdf": [
        ("Phạm vi và định nghĩa", "Đi gặp khách hàng cách văn phòng 30 km có được tính là đi công tác không?",
         "Dạ không, chuyến công tác là chuyến đi tới địa điểm cách văn phòng làm việc chính từ 50 km trở lên hoặc ra nước ngoài; chuyến đi dưới 50 km áp dụng Quy định thanh toán chi phí (TC-QĐ-03) {c}."),
        ("Đề xuất và phê duyệt chuyến công tác", "Đi công tác trong nước cần gửi tờ trình trước bao lâu?",
         "Dạ, anh/chị lập Tờ trình công tác (mẫu CT-01) trên SaoMai People trước ít nhất 5 ngày làm việc để Giám đốc khối phê duyệt {c}."),
        ("Đề xuất và phê duyệt chuyến công tác", "Tôi có được tự đặt vé máy bay đi công tác không?",
         "Dạ, vé máy bay, vé tàu và khách sạn do Phòng Hành chính đặt qua travel@saomaitech.vn sau khi tờ trình được duyệt; anh/chị chỉ tự đặt khi được Phòng Hành chính đồng ý bằng email và giá không vượt mức quy định {c}."),
        ("Phương tiện đi lại", "Đi công tác Hà Nội – Hải Phòng khoảng 120 km thì đi bằng phương tiện gì?",
         "Dạ, với quãng đường dưới 300 km, anh/chị sử dụng tàu hỏa, xe khách hoặc xe công ty {c}."),
        ("Phương tiện đi lại", "Khi nào được đi máy bay công tác?",
         "Dạ, quãng đường từ 300 km trở lên được đi máy bay hạng phổ thông {c}."),
        ("Phương tiện đi lại", "Ai được bay hạng thương gia?",
         "Dạ, chỉ Tổng Giám đốc và Phó Tổng Giám đốc được bay hạng thương gia cho chặng quốc tế trên 5 giờ bay; các chức danh khác đi hạng phổ thông {c}."),
        ("Phụ cấp lưu trú (công tác phí theo ngày)", "Phụ cấp lưu trú khi đi công tác tỉnh của nhân viên là bao nhiêu?",
         "Dạ, khi công tác tại tỉnh, thành phố khác (ngoài Hà Nội, TP. Hồ Chí Minh, Đà Nẵng), nhân viên được 300.000 đồng/ngày, cấp quản lý được 400.000 đồng/ngày {c}."),
        ("Phụ cấp lưu trú (công tác phí theo ngày)", "Phụ cấp lưu trú có cần nộp hóa đơn không?",
         "Dạ không, phụ cấp lưu trú được khoán theo ngày để chi ăn uống và đi lại nhỏ tại nơi công tác, không cần hóa đơn {c}."),
        ("Phụ cấp lưu trú (công tác phí theo ngày)", "Đi công tác trong ngày, không ngủ lại thì phụ cấp tính thế nào?",
         "Dạ, chuyến công tác trong ngày không ngủ lại được hưởng 50% mức phụ cấp lưu trú {c}."),
        ("Phụ cấp lưu trú (công tác phí theo ngày)", "Khách hàng mời ăn cả ngày thì phụ cấp lưu trú có bị giảm không?",
         "Dạ có, khi khách hàng hoặc đối tác đã chi trả toàn bộ bữa ăn trong ngày, phụ cấp ngày đó giảm còn 30% {c}."),
        ("Tiền thuê phòng nghỉ", "Cấp quản lý đi công tác nước ngoài được thuê phòng tối đa bao nhiêu một đêm?",
         "Dạ, khi công tác nước ngoài, cấp quản lý được thuê phòng tối đa 150 USD/đêm, nhân viên tối đa 120 USD/đêm {c}."),
        ("Tiền thuê phòng nghỉ", "Giá phòng vượt mức quy định thì ai trả phần chênh lệch?",
         "Dạ, phần vượt mức do nhân viên tự chi trả, trừ khi Giám đốc khối đã phê duyệt trước {c}."),
        ("Tạm ứng công tác phí", "Đi công tác được tạm ứng tối đa bao nhiêu?",
         "Dạ, nhân viên được tạm ứng tối đa 80% dự toán đã duyệt bằng mẫu TC-01 {c}."),
        ("Quyết toán sau chuyến công tác", "Sau chuyến công tác phải quyết toán trong bao lâu?",
         "Dạ, trong vòng 10 ngày làm việc sau khi về, anh/chị nộp Bảng kê chi phí công tác (mẫu TC-04) kèm thẻ lên máy bay hoặc vé tàu, xe, hóa đơn khách sạn và báo cáo kết quả công tác {c}."),
        ("Quyết toán sau chuyến công tác", "Báo cáo kết quả công tác dài bao nhiêu?",
         "Dạ, báo cáo kết quả công tác dài không quá một trang và phải có xác nhận của quản lý trực tiếp {c}."),
        ("Thời gian di chuyển và ngày nghỉ", "Phải bay công tác vào Chủ nhật thì có được nghỉ bù không?",
         "Dạ có, nếu phải di chuyển hoặc làm việc vào thứ Bảy, Chủ nhật trong chuyến công tác, anh/chị được nghỉ bù số ngày tương ứng, sử dụng trong vòng 30 ngày sau chuyến đi {c}."),
        ("Thời gian di chuyển và ngày nghỉ", "Thời gian ngồi máy bay ngoài giờ có được tính làm thêm giờ không?",
         "Dạ không, thời gian ngồi trên phương tiện ngoài giờ làm việc không được tính là làm thêm giờ {c}."),
    ],
    "company/an-toan-thong-tin.md": [
        ("Phân loại dữ liệu", "Dữ liệu của công ty được phân loại thành mấy mức?",
         "Dạ, dữ liệu được phân thành 4 mức: Công khai, Nội bộ, Mật và Tuyệt mật {c}."),
        ("Phân loại dữ liệu", "Mã nguồn thuộc mức bảo mật nào?",
         "Dạ, mã nguồn thuộc mức Mật, cùng với hợp đồng, báo cáo tài chính chưa công bố và thông tin lương {c}."),
        ("Phân loại dữ liệu", "Tôi có được gửi hợp đồng khách hàng ra email bên ngoài không?",
         "Dạ, hợp đồng thuộc mức Mật nên chỉ được gửi ra email bên ngoài khi đã được Trưởng phòng đồng ý {c}."),
        ("Quản lý quyền truy cập", "Muốn xin quyền truy cập một hệ thống thì làm thế nào?",
         "Dạ, anh/chị gửi yêu cầu bằng mẫu IT-01 trên cổng Jira Service Desk (dự án SMIT) để quản lý trực tiếp phê duyệt {c}."),
        ("Quản lý quyền truy cập", "Quyền truy cập môi trường production có thời hạn bao lâu?",
         "Dạ, quyền truy cập production phải được Trưởng nhóm Hạ tầng phê duyệt thêm và tự động hết hạn sau 30 ngày {c}."),
        ("Mạng và truy cập từ xa", "Làm việc ở quán cà phê thì cần lưu ý gì khi vào hệ thống nội bộ?",
         "Dạ, khi làm việc ngoài văn phòng, anh/chị phải kết nối SaoMai VPN trước khi truy cập bất kỳ hệ thống nội bộ nào {c}."),
        ("Mạng và truy cập từ xa", "Điện thoại cá nhân có được kết nối vào Wi-Fi SaoMai-Staff không?",
         "Dạ không, mạng SaoMai-Staff dành cho nhân viên đăng nhập bằng tài khoản công ty và không được kết nối thiết bị cá nhân {c}."),
        ("Thư điện tử và lừa đảo (phishing)", "Nhận được email nghi là lừa đảo thì xử lý thế nào?",
         "Dạ, anh/chị bấm nút \"Report Phishing\" trên Outlook hoặc chuyển tiếp email đó tới security@saomaitech.vn, không bấm vào liên kết hay mở tệp đính kèm {c}."),
        ("Thư điện tử và lừa đảo (phishing)", "Bấm nhầm vào link diễn tập phishing thì có sao không?",
         "Dạ, người bấm vào liên kết diễn tập từ 2 lần trở lên trong một năm phải học lại khóa An toàn thông tin cơ bản trong vòng 14 ngày {c}."),
        ("Báo cáo sự cố an toàn thông tin", "Làm mất laptop công ty thì phải báo cho ai và trong bao lâu?",
         "Dạ, anh/chị phải báo trong vòng 1 giờ kể từ khi phát hiện qua email security@saomaitech.vn hoặc máy lẻ 999 (trực 24/7), sau đó hoàn thành Báo cáo sự cố (mẫu IT-03) trong vòng 24 giờ {c}."),
        ("Báo cáo sự cố an toàn thông tin", "Laptop bị trộm thì ngoài báo công ty còn phải làm gì?",
         "Dạ, anh/chị đồng thời trình báo cơ quan công an nơi xảy ra vụ việc và gửi bản sao biên bản cho Ban An toàn thông tin {c}."),
        ("Bảo vệ dữ liệu khách hàng", "Có được dùng dữ liệu thật của khách hàng để kiểm thử không?",
         "Dạ không, môi trường kiểm thử chỉ được dùng dữ liệu đã được ẩn danh hóa bằng công cụ do nhóm Dữ liệu cung cấp {c}."),
        ("Bảo vệ dữ liệu khách hàng", "Khi nào nhân viên hỗ trợ được xem dữ liệu của một khách hàng?",
         "Dạ, chỉ khi có phiếu hỗ trợ hợp lệ và sự đồng ý của khách hàng trên hệ thống {c}."),
        ("Sử dụng công cụ trí tuệ nhân tạo", "Tôi có được dán báo cáo tài chính nội bộ vào ChatGPT để tóm tắt không?",
         "Dạ không, dữ liệu mức Mật hoặc Tuyệt mật không được nhập vào các công cụ AI công cộng; anh/chị có thể dùng cổng SaoMai AI Hub tại ai.saomaitech.vn {c}."),
        ("Phần mềm và thiết bị lưu trữ", "Muốn cài một phần mềm không có trong Software Center thì làm sao?",
         "Dạ, anh/chị yêu cầu bằng mẫu IT-02 để Ban An toàn thông tin đánh giá trong 5 ngày làm việc {c}."),
        ("Đào tạo bắt buộc", "Khóa An toàn thông tin cơ bản phải hoàn thành khi nào?",
         "Dạ, nhân viên mới hoàn thành trong 30 ngày đầu làm việc; mọi nhân viên học lại hằng năm trước ngày 31/3 và bài kiểm tra phải đạt từ 80% trở lên {c}."),
    ],
    "company/mat-khau-thiet-bi.txt": [
        ("Quy tắc đặt mật khẩu", "Mật khẩu tài khoản công ty cần đáp ứng yêu cầu gì?",
         "Dạ, mật khẩu dài tối thiểu 12 ký tự, gồm đủ chữ hoa, chữ thường, chữ số và ký tự đặc biệt, và không chứa tên, ngày sinh, số điện thoại hoặc tên công ty {c}."),
        ("Quy tắc đặt mật khẩu", "Nhập sai mật khẩu nhiều lần thì tài khoản có bị khóa không?",
         "Dạ, tài khoản bị khóa sau 5 lần nhập sai trong vòng 15 phút và tự mở khóa sau 30 phút; nếu cần mở ngay, anh/chị gọi IT Helpdesk để xác minh danh tính {c}."),
        ("Quy tắc đặt mật khẩu", "Có được dùng lại mật khẩu cũ không?",
         "Dạ, không được dùng lại 5 mật khẩu gần nhất; mật khẩu phải đổi 180 ngày một lần {c}."),
        ("Trình quản lý mật khẩu", "Công ty dùng phần mềm quản lý mật khẩu nào?",
         "Dạ, mỗi nhân viên được cấp một tài khoản Bitwarden doanh nghiệp để lưu mật khẩu công việc; không lưu mật khẩu công việc trong trình duyệt hoặc tệp văn bản {c}."),
        ("Xác thực hai lớp (MFA)", "Những hệ thống nào bắt buộc bật xác thực hai lớp?",
         "Dạ, xác thực hai lớp là bắt buộc với email, SaoMai VPN, GitLab và bảng điều khiển AWS {c}."),
        ("Xác thực hai lớp (MFA)", "Có thể nhận mã xác thực hai lớp qua SMS không?",
         "Dạ không, công ty dùng ứng dụng Microsoft Authenticator và không chấp nhận mã qua SMS {c}."),
        ("Xác thực hai lớp (MFA)", "Tôi đổi điện thoại mới thì đặt lại MFA thế nào?",
         "Dạ, anh/chị liên hệ IT Helpdesk để đặt lại MFA; việc đặt lại chỉ thực hiện sau khi xác minh qua cuộc gọi video có xuất trình thẻ nhân viên {c}."),
        ("Cấp phát thiết bị", "Lập trình viên được cấp laptop cấu hình thế nào?",
         "Dạ, kỹ sư phần mềm và kỹ sư dữ liệu được cấp MacBook Pro 14 inch hoặc Dell XPS 15, RAM 32 GB {c}."),
        ("Cấp phát thiết bị", "Ngoài laptop, nhân viên còn được cấp thiết bị gì?",
         "Dạ, mỗi nhân viên được cấp thêm một màn hình phụ 27 inch, tai nghe có micro và chuột {c}."),
        ("Cấp phát thiết bị", "Khi nhận máy tính, tôi cần ký giấy tờ gì?",
         "Dạ, anh/chị ký Biên bản bàn giao thiết bị (mẫu IT-05) {c}."),
        ("Sử dụng thiết bị an toàn", "Máy tính tự khóa màn hình sau bao lâu?",
         "Dạ, máy tự khóa sau 5 phút không sử dụng; ngoài ra anh/chị phải tự khóa màn hình mỗi khi rời chỗ bằng Windows + L hoặc Control + Command + Q {c}."),
        ("Sử dụng thiết bị an toàn", "Ổ cứng laptop có phải mã hóa không?",
         "Dạ có, ổ đĩa phải được mã hóa bằng BitLocker trên Windows hoặc FileVault trên macOS, và IT kiểm tra tự động hằng ngày {c}."),
        ("Thiết bị cá nhân (BYOD)", "Muốn đọc email công ty trên điện thoại cá nhân thì cần làm gì?",
         "Dạ, anh/chị phải cài ứng dụng Microsoft Intune và đặt mã khóa màn hình tối thiểu 6 chữ số {c}."),
        ("Thiết bị cá nhân (BYOD)", "Laptop cá nhân có được truy cập hệ thống nội bộ không?",
         "Dạ không, máy tính cá nhân không được truy cập hệ thống nội bộ dưới bất kỳ hình thức nào {c}."),
        ("Hư hỏng và mất thiết bị", "Laptop tự nhiên hỏng màn hình do lỗi kỹ thuật thì có mất phí sửa không?",
         "Dạ không, thiết bị hỏng do lỗi kỹ thuật được IT sửa chữa hoặc thay thế miễn phí {c}."),
        ("Hỗ trợ kỹ thuật", "IT Helpdesk làm việc vào giờ nào?",
         "Dạ, IT Helpdesk hỗ trợ từ 8:00 đến 18:00, thứ Hai đến thứ Sáu, qua email helpdesk@saomaitech.vn, máy lẻ 555 hoặc cổng Jira Service Desk {c}."),
        ("Hoàn trả thiết bị", "Khi nghỉ việc phải trả laptop khi nào?",
         "Dạ, anh/chị trả thiết bị cho IT Helpdesk chậm nhất trong ngày làm việc cuối cùng, kèm sạc và phụ kiện, và tự sao lưu dữ liệu cá nhân trước khi trả máy {c}."),
    ],
    "company/hoi-nhap-tuan-dau.md": [
        ("Trước ngày làm việc đầu tiên", "Ngày đầu đi làm tôi cần mang theo giấy tờ gì?",
         "Dạ, anh/chị mang căn cước công dân bản gốc, bản sao có chứng thực văn bằng, chứng chỉ, giấy khám sức khỏe, mã số bảo hiểm xã hội (nếu có) và số tài khoản ngân hàng chính chủ để nhận lương {c}."),
        ("Trước ngày làm việc đầu tiên", "Khi nào tôi nhận được email chào mừng?",
         "Dạ, chậm nhất 3 ngày làm việc trước ngày nhận việc, anh/chị sẽ nhận email chào mừng từ nhansu@saomaitech.vn, kèm tên người đồng hành và lịch tuần đầu {c}."),
        ("Ngày 1: Chào mừng", "Ngày đầu tiên tôi đến văn phòng TP. Hồ Chí Minh thì gặp ai ở đâu?",
         "Dạ, anh/chị có mặt tại quầy lễ tân tầng 6 lúc 8:30; Chuyên viên Onboarding sẽ đón, trao thẻ nhân viên và giới thiệu người đồng hành {c}."),
        ("Ngày 1: Chào mừng", "Buổi Sao Mai 101 diễn ra lúc nào?",
         "Dạ, buổi giới thiệu \"Sao Mai 101\" bắt đầu lúc 10:00 ngày đầu tiên và kéo dài 90 phút, về lịch sử công ty, cơ cấu tổ chức và các quy định chính {c}."),
        ("Ngày 1: Chào mừng", "Bữa trưa ngày đầu tiên ai trả tiền?",
         "Dạ, công ty chi trả bữa trưa chào mừng với mức 150.000 đồng mỗi người {c}."),
        ("Ngày 2: Thiết bị và tài khoản", "Cam kết bảo mật thông tin ký vào ngày nào và theo mẫu gì?",
         "Dạ, anh/chị ký Cam kết bảo mật thông tin (mẫu NS-06) vào ngày thứ 2 của tuần đầu {c}."),
        ("Ngày 3: Gặp quản lý trực tiếp", "Mục tiêu thử việc gồm bao nhiêu mục tiêu?",
         "Dạ, trong buổi 1:1 ngày thứ 3, anh/chị và quản lý trực tiếp thống nhất từ 3 đến 5 mục tiêu thử việc {c}."),
        ("Ngày 3: Gặp quản lý trực tiếp", "Hạn nhập mục tiêu thử việc lên hệ thống là khi nào?",
         "Dạ, các mục tiêu phải được nhập lên SaoMai People trước 17:00 ngày thứ 5 của tuần đầu tiên {c}."),
        ("Ngày 4: Làm quen sản phẩm", "Buổi demo SaoMai Books cho nhân viên mới tổ chức khi nào?",
         "Dạ, nhóm Sản phẩm tổ chức buổi demo lúc 14:00 ngày thứ 4 của tuần đầu, sau đó anh/chị được cấp tài khoản dùng thử nội bộ {c}."),
        ("Ngày 4: Làm quen sản phẩm", "Khóa Văn hóa Sao Mai mất bao lâu?",
         "Dạ, khóa e-learning \"Văn hóa Sao Mai\" mất khoảng 45 phút và được hoàn thành trong ngày thứ 4 {c}."),
        ("Ngày 5: Tổng kết tuần đầu", "Khảo sát trải nghiệm tuần đầu phải nộp khi nào?",
         "Dạ, anh/chị điền Khảo sát trải nghiệm tuần đầu trên SaoMai People trước 17:00 ngày thứ 5 {c}."),
        ("Người đồng hành (buddy)", "Người đồng hành phải đáp ứng tiêu chí gì?",
         "Dạ, người đồng hành là đồng nghiệp có thâm niên từ 1 năm trở lên và không phải quản lý trực tiếp của nhân viên mới {c}."),
        ("Người đồng hành (buddy)", "Buddy gặp nhân viên mới thường xuyên thế nào?",
         "Dạ, buddy đồng hành trong 60 ngày đầu và gặp nhân viên mới ít nhất 30 phút mỗi tuần {c}."),
        ("Liên hệ hỗ trợ", "Chuyên viên Onboarding có máy lẻ số mấy?",
         "Dạ, anh/chị liên hệ Chuyên viên Onboarding qua nhansu@saomaitech.vn hoặc máy lẻ 205 {c}."),
    ],
    "company/thu-viec-hop-dong.docx": [
        ("Thời gian thử việc", "Kỹ sư phần mềm thử việc tối đa bao nhiêu ngày?",
         "Dạ, kỹ sư, chuyên viên và trưởng nhóm (yêu cầu trình độ cao đẳng trở lên) thử việc tối đa 60 ngày {c}."),
        ("Thời gian thử việc", "Nhân viên hỗ trợ trình độ trung cấp thử việc bao lâu?",
         "Dạ, kỹ thuật viên và nhân viên hỗ trợ có trình độ trung cấp thử việc tối đa 30 ngày {c}."),
        ("Thời gian thử việc", "Thực tập sinh có phải thử việc không?",
         "Dạ không, thực tập sinh không áp dụng thử việc mà ký Thỏa thuận thực tập riêng {c}."),
        ("Thời gian thử việc", "Giám đốc khối thử việc bao lâu?",
         "Dạ, Giám đốc khối và Phó Tổng Giám đốc thử việc tối đa 120 ngày {c}."),
        ("Tiền lương trong thời gian thử việc", "Lương thử việc bằng bao nhiêu phần trăm lương chính thức?",
         "Dạ, nhân viên thử việc hưởng 90% mức lương chính thức của vị trí, cùng đầy đủ phụ cấp ăn trưa và điện thoại {c}."),
        ("Chế độ trong thời gian thử việc", "Trong thời gian thử việc tôi có được bảo hiểm Sao Mai Care không?",
         "Dạ chưa, nhân viên thử việc chưa tham gia gói Sao Mai Care và chưa được hưởng phép năm; các quyền lợi này bắt đầu từ ngày ký hợp đồng lao động {c}."),
        ("Đánh giá thử việc", "Quản lý phải hoàn thành phiếu đánh giá thử việc khi nào?",
         "Dạ, chậm nhất 5 ngày làm việc trước khi hết thời gian thử việc, quản lý hoàn thành Phiếu đánh giá thử việc (mẫu NS-09) trên SaoMai People {c}."),
        ("Đánh giá thử việc", "Khi nào tôi được biết kết quả thử việc?",
         "Dạ, Phòng Nhân sự thông báo kết quả bằng email chậm nhất 3 ngày làm việc trước khi hết thời gian thử việc {c}."),
        ("Đánh giá thử việc", "Thử việc chưa đạt có được kéo dài thêm không?",
         "Dạ không, quy định không cho phép kéo dài thời gian thử việc {c}."),
        ("Đánh giá thử việc", "Thử việc 60 ngày thì có đánh giá giữa kỳ không?",
         "Dạ có, quản lý trực tiếp đánh giá giữa kỳ vào khoảng ngày thứ 30 để góp ý sớm {c}."),
        ("Chấm dứt trong thời gian thử việc", "Đang thử việc mà muốn nghỉ thì có phải báo trước không?",
         "Dạ không, trong thời gian thử việc mỗi bên có quyền chấm dứt mà không cần báo trước và không phải bồi thường; anh/chị vẫn phải bàn giao thiết bị, tài liệu theo quy trình {c}."),
        ("Các loại hợp đồng lao động", "Hợp đồng lao động lần thứ hai có thời hạn bao lâu?",
         "Dạ, hợp đồng lần thứ hai là hợp đồng xác định thời hạn 24 tháng; lần thứ ba là hợp đồng không xác định thời hạn {c}."),
        ("Gia hạn và ký hợp đồng", "Bao lâu trước khi hết hạn hợp đồng thì được thông báo ký tiếp?",
         "Dạ, Phòng Nhân sự gửi thông báo cho nhân viên và quản lý trước ngày hết hạn hợp đồng ít nhất 30 ngày; quản lý có 10 ngày làm việc để xác nhận {c}."),
        ("Gia hạn và ký hợp đồng", "Hợp đồng ký điện tử có giá trị như bản giấy không?",
         "Dạ có, hợp đồng được ký điện tử trên SaoMai People bằng chữ ký số của công ty và mã xác thực gửi tới điện thoại của nhân viên, có giá trị như bản giấy {c}."),
        ("Phụ lục hợp đồng", "Đổi chức danh thì phụ lục hợp đồng được ký khi nào?",
         "Dạ, thay đổi chức danh, mức lương hoặc nơi làm việc được ghi nhận bằng phụ lục, ký chậm nhất 5 ngày làm việc sau ngày thay đổi có hiệu lực {c}."),
    ],
    "company/luong-thuong.md": [
        ("Kỳ trả lương", "Công ty trả lương vào ngày nào?",
         "Dạ, lương được trả mỗi tháng một lần vào ngày 5 của tháng kế tiếp, bằng chuyển khoản {c}."),
        ("Kỳ trả lương", "Phiếu lương được gửi khi nào?",
         "Dạ, phiếu lương điện tử được gửi qua SaoMai People vào ngày 4 hằng tháng, trước ngày trả lương một ngày {c}."),
        ("Kỳ trả lương", "Bảng chấm công chốt vào ngày nào?",
         "Dạ, bảng chấm công được chốt vào ngày 25 hằng tháng {c}."),
        ("Cơ cấu thu nhập hằng tháng", "Phụ cấp ăn trưa mỗi tháng là bao nhiêu?",
         "Dạ, phụ cấp ăn trưa là 880.000 đồng/tháng cho tất cả nhân viên, tính theo số ngày làm việc thực tế với mức 40.000 đồng mỗi ngày {c}."),
        ("Cơ cấu thu nhập hằng tháng", "Nhân viên kinh doanh được phụ cấp điện thoại bao nhiêu?",
         "Dạ, ngoài phụ cấp điện thoại 300.000 đồng/tháng như mọi nhân viên, nhân viên kinh doanh và chăm sóc khách hàng được thêm 200.000 đồng/tháng {c}."),
        ("Cơ cấu thu nhập hằng tháng", "Trưởng nhóm có phụ cấp trách nhiệm không?",
         "Dạ có, Trưởng nhóm được phụ cấp trách nhiệm 2.000.000 đồng/tháng, Trưởng phòng được 4.000.000 đồng/tháng {c}."),
        ("Thưởng tháng lương thứ 13", "Thưởng tháng lương thứ 13 được trả khi nào?",
         "Dạ, thưởng tháng lương thứ 13 bằng một tháng lương cơ bản và được trả trước Tết Nguyên đán ít nhất 10 ngày {c}."),
        ("Thưởng tháng lương thứ 13", "Nếu tôi nghỉ việc vào tháng 11 thì có được thưởng tháng 13 không?",
         "Dạ không, điều kiện nhận thưởng tháng 13 là còn làm việc tại công ty vào ngày 31/12 {c}."),
        ("Thưởng hiệu suất năm", "Thưởng hiệu suất năm được trả vào kỳ lương nào?",
         "Dạ, thưởng hiệu suất được tính theo xếp loại đánh giá cuối năm và trả cùng kỳ lương ngày 5/3 của năm sau {c}."),
        ("Tạm ứng lương", "Tôi có thể tạm ứng lương giữa tháng không?",
         "Dạ được, anh/chị có thể tạm ứng tối đa 50% lương cơ bản của tháng, không quá 2 lần mỗi năm, bằng mẫu NS-10 gửi trước ngày 15 của tháng {c}."),
        ("Thuế thu nhập cá nhân", "Muốn công ty quyết toán thuế thu nhập cá nhân thay thì làm thế nào?",
         "Dạ, anh/chị ủy quyền bằng cách nộp mẫu 08/UQ-QTT-TNCN trước ngày 15/2 hằng năm {c}."),
        ("Thuế thu nhập cá nhân", "Tôi cần chứng từ khấu trừ thuế thu nhập cá nhân thì bao lâu có?",
         "Dạ, chứng từ khấu trừ thuế được cấp điện tử theo yêu cầu trong vòng 5 ngày làm việc {c}."),
        ("Thắc mắc về lương", "Phát hiện phiếu lương bị sai thì liên hệ ai?",
         "Dạ, anh/chị gửi email tới payroll@saomaitech.vn (máy lẻ 208) trong vòng 5 ngày làm việc kể từ ngày nhận phiếu lương; bộ phận Tiền lương phản hồi trong 3 ngày làm việc {c}."),
        ("Bảo mật thông tin lương", "Tôi có được hỏi lương của đồng nghiệp không?",
         "Dạ không, thông tin lương là thông tin mức Mật; nhân viên không được tiết lộ hoặc hỏi thông tin lương của người khác, vi phạm bị xử lý kỷ luật {c}."),
    ],
    "company/phuc-loi-bao-hiem.pdf": [
        ("Bảo hiểm bắt buộc", "Nhân viên phải đóng bao nhiêu phần trăm bảo hiểm bắt buộc?",
         "Dạ, nhân viên đóng 10,5% (8% bảo hiểm xã hội, 1,5% bảo hiểm y tế, 1% bảo hiểm thất nghiệp), còn công ty đóng 21,5% trên tiền lương làm căn cứ đóng {c}."),
        ("Bảo hiểm bắt buộc", "Tiền lương đóng bảo hiểm xã hội là lương nào?",
         "Dạ, tiền lương làm căn cứ đóng là lương cơ bản ghi trong hợp đồng {c}."),
        ("Bảo hiểm bắt buộc", "Tra cứu quá trình đóng bảo hiểm ở đâu?",
         "Dạ, anh/chị tra cứu trên ứng dụng VssID; thẻ bảo hiểm y tế cũng dùng bản điện tử trên VssID {c}."),
        ("Gói bảo hiểm sức khỏe Sao Mai Care", "Ai trả phí bảo hiểm Sao Mai Care?",
         "Dạ, công ty mua 100% phí gói Sao Mai Care cho nhân viên từ ngày ký hợp đồng lao động {c}."),
        ("Gói bảo hiểm sức khỏe Sao Mai Care", "Sao Mai Care có chi trả nha khoa không?",
         "Dạ có, quyền lợi nha khoa là 3.000.000 đồng mỗi năm {c}."),
        ("Gói bảo hiểm sức khỏe Sao Mai Care", "Quyền lợi thai sản của Sao Mai Care có điều kiện gì?",
         "Dạ, quyền lợi thai sản tối đa 30.000.000 đồng mỗi năm và chỉ áp dụng khi nhân viên đã tham gia gói liên tục từ 270 ngày trở lên {c}."),
        ("Bảo hiểm cho người thân", "Mua Sao Mai Care cho vợ thì ai trả phí?",
         "Dạ, phí cho vợ hoặc chồng do nhân viên tự chi trả theo mức ưu đãi của hợp đồng nhóm và được khấu trừ dần vào lương trong 4 tháng {c}."),
        ("Bảo lãnh viện phí và bồi thường", "Khám ở bệnh viện ngoài mạng lưới bảo lãnh thì làm sao để được bồi thường?",
         "Dạ, anh/chị tự thanh toán rồi gửi hồ sơ bồi thường qua ứng dụng của công ty bảo hiểm trong vòng 60 ngày kể từ ngày ra viện hoặc ngày khám {c}."),
        ("Bảo lãnh viện phí và bồi thường", "Thẻ Sao Mai Care được bảo lãnh viện phí ở bao nhiêu cơ sở?",
         "Dạ, thẻ được bảo lãnh viện phí tại hơn 120 bệnh viện và phòng khám trong mạng lưới liên kết {c}."),
        ("Trợ cấp hiếu hỷ", "Nhân viên kết hôn được công ty mừng bao nhiêu?",
         "Dạ, nhân viên kết hôn được trợ cấp 3.000.000 đồng {c}."),
        ("Trợ cấp hiếu hỷ", "Nằm viện bao lâu thì được trợ cấp ốm đau?",
         "Dạ, nhân viên nằm viện từ 3 ngày trở lên được trợ cấp 1.000.000 đồng {c}."),
        ("Trợ cấp hiếu hỷ", "Báo cho Phòng Nhân sự trong bao lâu để nhận trợ cấp hiếu hỷ?",
         "Dạ, nhân viên hoặc quản lý báo trong vòng 30 ngày kể từ ngày phát sinh sự kiện {c}."),
        ("Quà tặng và sinh nhật", "Sinh nhật nhân viên được tặng gì?",
         "Dạ, vào tháng sinh nhật, mỗi nhân viên nhận phiếu quà tặng trị giá 500.000 đồng qua email {c}."),
        ("Chương trình Sống khỏe", "Ngân sách Sống khỏe dùng để làm gì và bao nhiêu?",
         "Dạ, mỗi nhân viên chính thức có 3.000.000 đồng mỗi năm để chi cho phòng tập thể hình, bơi, yoga hoặc các giải chạy; công ty hoàn tiền theo quý {c}."),
        ("Du lịch hằng năm", "Du lịch công ty hằng năm diễn ra khi nào?",
         "Dạ, công ty tổ chức chuyến du lịch 3 ngày 2 đêm cho toàn thể nhân viên vào tháng 6 hằng năm {c}."),
        ("Quỹ hỗ trợ khó khăn", "Tôi gặp khó khăn đột xuất thì có thể vay công ty không?",
         "Dạ, nhân viên làm việc từ đủ 12 tháng gặp hoàn cảnh khó khăn đột xuất được vay từ Quỹ hỗ trợ khó khăn tối đa 30.000.000 đồng, không lãi suất, trả góp trong 12 tháng {c}."),
    ],
    "company/kham-suc-khoe.txt": [
        ("Đối tượng", "Tôi mới vào làm tháng 3/2026 thì có được khám sức khỏe đợt này không?",
         "Dạ, đợt khám năm 2026 dành cho nhân viên có ngày nhận việc trước ngày 01/03/2026; nhân viên vào làm từ ngày 01/03/2026 sẽ khám trong đợt năm 2027 {c}."),
        ("Đối tượng", "Thực tập sinh có được khám sức khỏe định kỳ không?",
         "Dạ không, thực tập sinh không thuộc đối tượng của đợt khám này {c}."),
        ("Thời gian và địa điểm", "Khám sức khỏe có phải xin nghỉ phép không?",
         "Dạ không, thời gian đi khám được tính là thời gian làm việc, anh/chị không phải xin nghỉ phép {c}."),
        ("Thời gian và địa điểm", "Mỗi buổi khám diễn ra từ mấy giờ?",
         "Dạ, mỗi buổi khám diễn ra từ 7:30 đến 10:30 sáng {c}."),
        ("Đăng ký lịch khám", "Đăng ký lịch khám sức khỏe ở đâu và hạn chót khi nào?",
         "Dạ, anh/chị đăng ký trên SaoMai People, mục \"Khám sức khỏe\", chọn ngày và khung giờ trước ngày 31/3/2026 {c}."),
        ("Đăng ký lịch khám", "Khi đến phòng khám cần xuất trình gì?",
         "Dạ, anh/chị xuất trình mã QR check-in nhận qua email và căn cước công dân tại quầy tiếp đón của phòng khám {c}."),
        ("Đăng ký lịch khám", "Muốn đổi ngày khám thì làm thế nào?",
         "Dạ, anh/chị tự đổi lịch trên SaoMai People chậm nhất 2 ngày trước ngày khám {c}."),
        ("Danh mục khám", "Gói khám có xét nghiệm máu những gì?",
         "Dạ, xét nghiệm máu gồm công thức máu, đường huyết, mỡ máu, chức năng gan và chức năng thận {c}."),
        ("Danh mục khám", "Nhân viên nữ được khám thêm gì?",
         "Dạ, nhân viên nữ được khám phụ khoa và siêu âm tuyến vú {c}."),
        ("Danh mục khám", "Người trên 40 tuổi có được khám thêm hạng mục nào không?",
         "Dạ có, nhân viên từ 40 tuổi trở lên được khám thêm siêu âm tuyến giáp và xét nghiệm chỉ dấu ung thư phù hợp với giới tính {c}."),
        ("Chuẩn bị trước khi khám", "Trước hôm khám có được uống bia không?",
         "Dạ không, anh/chị không uống rượu, bia trong 24 giờ trước khi khám và cần nhịn ăn ít nhất 8 giờ trước khi lấy máu {c}."),
        ("Kết quả khám", "Công ty có xem được kết quả khám chi tiết của tôi không?",
         "Dạ không, công ty chỉ nhận kết luận phân loại sức khỏe để lưu hồ sơ; các chỉ số chi tiết được bảo mật {c}."),
        ("Không tham gia được đợt khám chính", "Tôi đi công tác đúng đợt khám thì phải làm sao?",
         "Dạ, anh/chị có thể khám trong đợt khám bù vào ngày 15 và 16/5/2026 tại cùng địa điểm {c}."),
        ("Không tham gia được đợt khám chính", "Nếu lỡ cả đợt khám bù thì sao?",
         "Dạ, anh/chị có thể tự khám tại cơ sở y tế khác trong năm 2026 và được hoàn chi phí tối đa 1.500.000 đồng theo hóa đơn {c}."),
        ("Người thân", "Bố mẹ tôi có thể khám cùng đợt không?",
         "Dạ được, người thân đăng ký khám cùng đợt với giá ưu đãi 1.200.000 đồng mỗi gói cơ bản, tự thanh toán tại phòng khám; đăng ký gửi Phòng Hành chính trước ngày 31/3/2026 {c}."),
    ],
    "company/quy-tac-ung-xu.md": [
        ("Giá trị cốt lõi", "Giá trị cốt lõi của Sao Mai Tech là gì?",
         "Dạ, Sao Mai Tech có bốn giá trị cốt lõi: Chính trực, Tận tâm với khách hàng, Học hỏi không ngừng và Tôn trọng đồng nghiệp {c}."),
        ("Nhận quà tặng", "Khách hàng tặng hộp quà khoảng 300 nghìn đồng thì tôi có phải khai báo không?",
         "Dạ không, quà tặng có giá trị đến 500.000 đồng được nhận và không phải khai báo {c}."),
        ("Nhận quà tặng", "Đối tác gửi thẻ quà tặng 200 nghìn thì có được nhận không?",
         "Dạ không, tiền mặt, thẻ quà tặng, phiếu mua hàng hay chuyển khoản đều không được nhận với bất kỳ giá trị nào {c}."),
        ("Nhận quà tặng", "Giỏ quà Tết đối tác gửi cho cả phòng xử lý thế nào?",
         "Dạ, giỏ quà Tết gửi cho phòng ban được nhận và chia chung tại văn phòng {c}."),
        ("Nhận quà tặng", "Đang đàm phán hợp đồng với nhà cung cấp thì có được nhận quà của họ không?",
         "Dạ không, trong thời gian lựa chọn nhà cung cấp hoặc đàm phán hợp đồng, nhân viên tham gia không nhận bất kỳ quà tặng nào từ các bên liên quan {c}."),
        ("Nhận quà tặng", "Quà trên 500 nghìn thì khai báo bằng mẫu nào?",
         "Dạ, quà có giá trị trên 500.000 đồng đến 2.000.000 đồng được nhận nhưng phải khai báo bằng mẫu PC-02 \"Khai báo quà tặng\" trên SaoMai People trong vòng 3 ngày làm việc {c}."),
        ("Tặng quà và mời tiếp khách", "Có được mời cán bộ thuế đang xử lý hồ sơ của công ty đi ăn không?",
         "Dạ không, nhân viên không tặng quà hoặc mời ăn uống cán bộ, công chức nhà nước đang giải quyết hồ sơ của công ty {c}."),
        ("Xung đột lợi ích", "Em gái tôi làm ở một nhà cung cấp của công ty thì tôi cần làm gì?",
         "Dạ, đây là trường hợp xung đột lợi ích; anh/chị khai báo bằng mẫu PC-03 trong vòng 5 ngày làm việc kể từ khi phát sinh {c}."),
        ("Xung đột lợi ích", "Tôi có được nhận làm freelance ngoài giờ không?",
         "Dạ được, khi có văn bản đồng ý của Giám đốc khối, với điều kiện không làm cho đối thủ cạnh tranh và không sử dụng tài sản, thông tin của công ty {c}."),
        ("Môi trường làm việc tôn trọng", "Báo cáo quấy rối có thể ẩn danh không?",
         "Dạ có, anh/chị có thể báo cáo qua kênh \"Tiếng nói Sao Mai\" bằng email ethics@saomaitech.vn hoặc biểu mẫu ẩn danh trên cổng nội bộ {c}."),
        ("Môi trường làm việc tôn trọng", "Người báo cáo vi phạm có được bảo vệ không?",
         "Dạ có, mọi hành vi trả đũa người báo cáo trung thực đều bị coi là vi phạm nghiêm trọng {c}."),
        ("Mạng xã hội và phát ngôn", "Phóng viên muốn phỏng vấn tôi về công ty thì xử lý thế nào?",
         "Dạ, chỉ Tổng Giám đốc và Phòng Truyền thông được phát ngôn chính thức với báo chí; anh/chị chuyển yêu cầu phỏng vấn tới pr@saomaitech.vn {c}."),
        ("Mạng xã hội và phát ngôn", "Tôi có được đăng ảnh chụp màn hình tính năng mới chưa ra mắt lên Facebook không?",
         "Dạ không, nhân viên không đăng ảnh chụp màn hình tính năng chưa phát hành, thông tin nội bộ hoặc dữ liệu khách hàng lên mạng xã hội {c}."),
        ("Xử lý vi phạm", "Vi phạm bộ quy tắc ứng xử có thể bị xử lý những hình thức nào?",
         "Dạ, tùy mức độ, vi phạm bị xử lý theo Nội quy lao động với các hình thức khiển trách, kéo dài thời hạn nâng lương không quá 6 tháng, cách chức hoặc sa thải {c}."),
        ("Xác nhận hằng năm", "Hạn xác nhận Bộ quy tắc ứng xử hằng năm là khi nào?",
         "Dạ, mỗi năm nhân viên đọc lại và xác nhận cam kết trên SaoMai People trước ngày 31/1 {c}."),
    ],
    "company/remote-work-policy.md": [
        ("Eligibility", "Ai được làm việc từ xa?",
         "Dạ, nhân viên đã hoàn thành thử việc và có vị trí không yêu cầu có mặt trực tiếp, như kỹ sư phần mềm, dữ liệu, quản lý sản phẩm, thiết kế và marketing, được làm việc từ xa {c}."),
        ("Eligibility", "Lễ tân có được làm việc từ xa không?",
         "Dạ không, lễ tân, nhân viên hành chính văn phòng và nhân viên IT hỗ trợ tại chỗ không thuộc diện làm việc từ xa định kỳ {c}."),
        ("Eligibility", "Nhân viên mới có được làm từ xa ngay không?",
         "Dạ không, nhân viên mới làm việc tại văn phòng trong 60 ngày đầu, kể cả khi thời gian thử việc ngắn hơn {c}."),
        ("Hybrid schedule", "Thứ mấy tất cả mọi người phải lên văn phòng?",
         "Dạ, thứ Tư là \"anchor day\" của toàn công ty: mọi người làm việc tại văn phòng để họp lập kế hoạch và workshop trực tiếp {c}."),
        ("Hybrid schedule", "Tuần này tôi không dùng ngày làm từ xa thì có được dồn sang tuần sau không?",
         "Dạ không, ngày làm từ xa không được chuyển sang tuần sau và không được gộp thành đợt dài hơn nếu chưa được phê duyệt {c}."),
        ("How to request remote days", "Quản lý chưa trả lời đơn làm từ xa trước 17:00 hôm trước thì sao?",
         "Dạ, nếu đơn chưa được trả lời trước 17:00 của ngày hôm trước thì anh/chị làm việc tại văn phòng {c}."),
        ("Temporary full remote work", "Tôi cần chăm người nhà ốm, có được làm từ xa toàn thời gian không?",
         "Dạ được, trong trường hợp đặc biệt như chăm sóc người thân bị ốm, anh/chị có thể làm từ xa toàn thời gian tối đa 30 ngày liên tục mỗi năm, khi được Giám đốc khối phê duyệt và có kế hoạch bằng văn bản thống nhất với quản lý {c}."),
        ("Availability and working hours", "Làm từ xa thì phải trả lời tin nhắn trong bao lâu?",
         "Dạ, trong giờ lõi 9:30–16:30, anh/chị phải cập nhật trạng thái Microsoft Teams và trả lời tin nhắn trong vòng 30 phút {c}."),
        ("Availability and working hours", "Họp nhóm online có bắt buộc bật camera không?",
         "Dạ, camera nên được bật trong các cuộc họp nhóm dưới 10 người {c}."),
        ("Availability and working hours", "Đang làm từ xa mà cần ra ngoài hơn một tiếng thì sao?",
         "Dạ, nếu cần rời đi hơn 1 giờ trong giờ lõi, anh/chị phải báo cho nhóm trong kênh chung của nhóm {c}."),
        ("Security requirements", "Làm việc tại nhà có được in tài liệu mật không?",
         "Dạ không, tài liệu được phân loại Mật hoặc Tuyệt mật không được in tại nhà {c}."),
        ("Security requirements", "Làm từ xa ở sân bay bằng Wi-Fi công cộng có được không?",
         "Dạ, chỉ được dùng Wi-Fi công cộng khi đã bật SaoMai VPN; anh/chị luôn phải kết nối VPN trước khi truy cập hệ thống nội bộ {c}."),
        ("Suspension of remote work", "Quản lý có thể tạm dừng quyền làm từ xa của tôi không?",
         "Dạ có, quản lý có thể tạm dừng nếu anh/chị bị xếp loại hiệu suất C hoặc D, nhiều lần không phản hồi trong giờ lõi hoặc vi phạm yêu cầu bảo mật {c}."),
    ],
    "company/ngan-sach-dao-tao.md": [
        ("Ngân sách đào tạo cá nhân", "Ngân sách đào tạo năm nay không dùng hết có được cộng sang năm sau không?",
         "Dạ không, ngân sách tính theo năm dương lịch, không cộng dồn sang năm sau và không quy đổi thành tiền {c}."),
        ("Ngân sách đào tạo cá nhân", "Tôi ký hợp đồng vào tháng 8 thì ngân sách đào tạo năm đó là bao nhiêu?",
         "Dạ, nhân viên ký hợp đồng lao động sau ngày 30/6 được hưởng 50% ngân sách của năm đó, tức 4.000.000 đồng với mức 8.000.000 đồng của nhân viên chính thức {c}."),
        ("Ngân sách đào tạo cá nhân", "Đang thử việc có dùng ngân sách đào tạo được không?",
         "Dạ chưa, nhân viên đang thử việc chưa được sử dụng ngân sách đào tạo cá nhân {c}."),
        ("Các khoản được chi từ ngân sách", "Ngân sách đào tạo có dùng cho học thạc sĩ được không?",
         "Dạ không, ngân sách không dùng cho chương trình cấp bằng đại học hay sau đại học; các chương trình này được xét riêng theo Học bổng Sao Mai {c}."),
        ("Các khoản được chi từ ngân sách", "Vé hội thảo chuyên ngành có được chi từ ngân sách đào tạo không?",
         "Dạ được, vé tham dự hội thảo chuyên ngành trong nước là một trong các khoản được chi từ ngân sách {c}."),
        ("Quy trình đăng ký", "Đăng ký khóa học cần gửi đề nghị trước bao lâu?",
         "Dạ, anh/chị lập Đề nghị đào tạo (mẫu ĐT-01) trên SaoMai People trước ngày khai giảng ít nhất 10 ngày làm việc {c}."),
        ("Quy trình đăng ký", "Tự trả tiền khóa học rồi thì được hoàn tiền thế nào?",
         "Dạ, anh/chị được hoàn tiền sau khi nộp chứng nhận hoàn thành khóa học trong vòng 30 ngày kể từ ngày kết thúc khóa {c}."),
        ("Quy trình đăng ký", "Bộ phận Đào tạo kiểm tra ngân sách trong bao lâu?",
         "Dạ, sau khi quản lý trực tiếp phê duyệt nội dung, bộ phận Đào tạo (daotao@saomaitech.vn, máy lẻ 210) kiểm tra ngân sách trong 3 ngày làm việc {c}."),
        ("Thi chứng chỉ", "Lệ phí thi chứng chỉ lần đầu được hỗ trợ bao nhiêu?",
         "Dạ, lệ phí thi chứng chỉ được hỗ trợ 100% cho lần thi đầu tiên {c}."),
        ("Thi chứng chỉ", "Những chứng chỉ nào được thưởng khi thi đạt?",
         "Dạ, các chứng chỉ trong danh sách ưu tiên gồm AWS Solutions Architect, Kubernetes CKA, PMP, CPA Việt Nam và ACCA; mỗi chứng chỉ đạt được thưởng 3.000.000 đồng {c}."),
        ("Cam kết làm việc sau đào tạo", "Khóa học 25 triệu thì có phải cam kết làm việc không?",
         "Dạ có, khóa học hoặc chứng chỉ có chi phí từ 20.000.000 đồng trở lên đi kèm cam kết làm việc 12 tháng kể từ ngày hoàn thành, ký bằng mẫu ĐT-03 trước khi công ty thanh toán {c}."),
        ("Cam kết làm việc sau đào tạo", "Nghỉ việc trước khi hết thời hạn cam kết đào tạo thì sao?",
         "Dạ, anh/chị phải hoàn trả chi phí đào tạo theo tỷ lệ số tháng còn lại của thời hạn cam kết {c}."),
        ("Ngày học tập", "Learning Days là gì?",
         "Dạ, mỗi nhân viên có 2 ngày học tập có hưởng lương mỗi năm để tham dự khóa học hoặc ôn thi chứng chỉ; ngày học tập đăng ký như nghỉ phép trên SaoMai People, chọn loại \"Ngày học tập\" {c}."),
        ("Học bổng Sao Mai", "Điều kiện để xét Học bổng Sao Mai là gì?",
         "Dạ, nhân viên cần có thâm niên từ 3 năm trở lên và xếp loại hiệu suất từ B+ trở lên trong 2 năm gần nhất {c}."),
        ("Học bổng Sao Mai", "Học bổng Sao Mai chi trả tối đa bao nhiêu?",
         "Dạ, học bổng chi trả tối đa 50% học phí, không quá 100.000.000 đồng cho cả khóa, kèm cam kết làm việc 24 tháng sau khi tốt nghiệp {c}."),
        ("Đào tạo nội bộ Sao Mai Academy", "Sao Mai Academy tổ chức buổi chia sẻ khi nào?",
         "Dạ, Sao Mai Academy tổ chức buổi chia sẻ chuyên môn lúc 16:00–17:30 thứ Năm cuối cùng của mỗi tháng, trực tiếp tại Hà Nội và trực tuyến qua Teams {c}."),
    ],
    "company/danh-gia-hieu-suat.md": [
        ("Chu kỳ đánh giá", "Công ty đánh giá hiệu suất mấy lần một năm?",
         "Dạ, công ty đánh giá hai lần mỗi năm: giữa năm vào tháng 7 (trao đổi 1:1, không xếp loại) và cuối năm vào tháng 12 – tháng 1 (xếp loại chính thức) {c}."),
        ("Chu kỳ đánh giá", "OKR quý phải nhập lên hệ thống khi nào?",
         "Dạ, OKR của quý phải được nhập lên SaoMai People trong 10 ngày đầu tiên của quý {c}."),
        ("Các mốc thời gian đánh giá cuối năm", "Quản lý đánh giá nhân viên trong khoảng thời gian nào?",
         "Dạ, quản lý trực tiếp đánh giá từ ngày 11/12 đến ngày 20/12 {c}."),
        ("Các mốc thời gian đánh giá cuối năm", "Hiệu chỉnh kết quả đánh giá diễn ra khi nào?",
         "Dạ, Hội đồng hiệu chỉnh của khối hiệu chỉnh kết quả từ ngày 05/01 đến ngày 15/01 {c}."),
        ("Thang xếp loại", "Tỷ lệ nhân viên được xếp loại A tối đa là bao nhiêu?",
         "Dạ, xếp loại A (Xuất sắc) chiếm tối đa 15% trong khối, còn B+ tối đa 30% {c}."),
        ("Thang xếp loại", "Xếp loại C nghĩa là gì?",
         "Dạ, xếp loại C là đạt một phần mục tiêu, cần cải thiện {c}."),
        ("Tăng lương theo xếp loại", "Tăng lương hằng năm có hiệu lực từ khi nào?",
         "Dạ, mức tăng lương hằng năm được quyết định theo xếp loại và có hiệu lực từ ngày 01/04 {c}."),
        ("Tăng lương theo xếp loại", "Xếp loại C có được tăng lương không?",
         "Dạ không, xếp loại C và D không được tăng lương {c}."),
        ("Tăng lương theo xếp loại", "Xếp loại B+ được tăng lương bao nhiêu?",
         "Dạ, xếp loại B+ được tăng lương từ 8% đến 10% {c}."),
        ("Thưởng hiệu suất", "Thưởng hiệu suất của xếp loại A là mấy tháng lương?",
         "Dạ, xếp loại A được thưởng 2 tháng lương cơ bản; B+ được 1,5 tháng, B được 1 tháng, C được 0,5 tháng và D không có thưởng {c}."),
        ("Thưởng hiệu suất", "Quỹ thưởng hiệu suất có thể thay đổi không?",
         "Dạ có, quỹ thưởng thực tế có thể điều chỉnh theo mức hoàn thành kế hoạch doanh thu của công ty, do Hội đồng quản trị quyết định {c}."),
        ("Kế hoạch cải thiện hiệu suất (PIP)", "Khi nào nhân viên phải tham gia kế hoạch cải thiện hiệu suất?",
         "Dạ, nhân viên xếp loại D hoặc xếp loại C hai kỳ liên tiếp tham gia Kế hoạch cải thiện hiệu suất (mẫu NS-11) trong 60 ngày, có buổi 1:1 hằng tuần với quản lý {c}."),
        ("Khiếu nại kết quả đánh giá", "Không đồng ý với kết quả đánh giá thì khiếu nại thế nào?",
         "Dạ, anh/chị gửi khiếu nại bằng email tới Giám đốc khối và nhansu@saomaitech.vn trong vòng 7 ngày làm việc kể từ ngày nhận kết quả; Hội đồng phúc khảo trả lời trong 15 ngày làm việc {c}."),
    ],
    "company/nghi-viec-ban-giao.md": [
        ("Thời hạn báo trước", "Hợp đồng 6 tháng thì phải báo trước bao lâu khi nghỉ việc?",
         "Dạ, với hợp đồng xác định thời hạn dưới 12 tháng, anh/chị phải báo trước 3 ngày làm việc {c}."),
        ("Thời hạn báo trước", "Thời hạn báo trước tính từ ngày nào?",
         "Dạ, thời hạn báo trước được tính từ ngày đơn được gửi trên hệ thống {c}."),
        ("Nộp đơn xin nghỉ việc", "Xin nghỉ việc dùng mẫu đơn nào?",
         "Dạ, anh/chị nộp Đơn xin thôi việc (mẫu NS-07) trên SaoMai People và gửi email thông báo cho quản lý trực tiếp {c}."),
        ("Nộp đơn xin nghỉ việc", "Sau khi nộp đơn nghỉ việc, quản lý sẽ làm gì?",
         "Dạ, trong vòng 3 ngày làm việc, quản lý trao đổi trực tiếp với anh/chị để hiểu lý do và thống nhất ngày làm việc cuối cùng {c}."),
        ("Phép năm còn lại", "Có được dùng phép năm còn lại trong thời gian báo trước không?",
         "Dạ được, anh/chị có thể sử dụng phép năm còn lại trong thời gian báo trước nếu được quản lý đồng ý {c}."),
        ("Bàn giao công việc và tài sản", "Biên bản bàn giao khi nghỉ việc gồm những phần nào?",
         "Dạ, Biên bản bàn giao (mẫu NS-08) gồm ba phần: công việc; tài liệu và tài khoản; tài sản {c}."),
        ("Bàn giao công việc và tài sản", "Thẻ gửi xe và chìa khóa tủ đồ trả cho ai khi nghỉ việc?",
         "Dạ, thẻ nhân viên, thẻ gửi xe và chìa khóa tủ đồ trả cho Phòng Hành chính; máy tính và phụ kiện trả IT Helpdesk {c}."),
        ("Bàn giao công việc và tài sản", "Biên bản bàn giao cần chữ ký của những ai?",
         "Dạ, cần đủ chữ ký của người nhận bàn giao, quản lý trực tiếp, IT Helpdesk và Phòng Hành chính {c}."),
        ("Bàn giao công việc và tài sản", "Còn khoản tạm ứng chưa quyết toán thì nghỉ việc xử lý thế nào?",
         "Dạ, các khoản tạm ứng còn lại phải được quyết toán với Phòng Tài chính – Kế toán trước ngày làm việc cuối cùng {c}."),
        ("Tài khoản và email", "Tài khoản của tôi bị khóa lúc nào khi nghỉ việc?",
         "Dạ, mọi tài khoản bị vô hiệu hóa lúc 18:00 ngày làm việc cuối cùng {c}."),
        ("Phỏng vấn thôi việc", "Phỏng vấn thôi việc diễn ra khi nào?",
         "Dạ, trong tuần làm việc cuối cùng, chuyên viên Nhân sự mời anh/chị tham gia buổi phỏng vấn thôi việc khoảng 30 phút {c}."),
        ("Thanh toán và giấy tờ khi nghỉ việc", "Ngày cuối cùng đi làm tôi nhận được giấy tờ gì?",
         "Dạ, vào ngày làm việc cuối cùng, anh/chị nhận Quyết định chấm dứt hợp đồng lao động {c}."),
        ("Thanh toán và giấy tờ khi nghỉ việc", "Sổ bảo hiểm xã hội được trả lại khi nào?",
         "Dạ, Phòng Nhân sự chốt quá trình đóng bảo hiểm xã hội và trả lại sổ cùng các giấy tờ gốc trong thời hạn 14 ngày làm việc kể từ ngày chấm dứt hợp đồng {c}."),
        ("Nghỉ việc không đúng quy định", "Nghỉ ngang không báo trước thì phải bồi thường gì?",
         "Dạ, anh/chị phải bồi thường nửa tháng tiền lương theo hợp đồng và khoản tiền tương ứng với tiền lương những ngày không báo trước, đồng thời hoàn trả chi phí đào tạo theo cam kết (nếu có) {c}."),
        ("Quay lại Sao Mai Tech", "Nghỉ việc rồi có thể quay lại công ty không?",
         "Dạ có, cựu nhân viên nghỉ việc đúng quy trình và có xếp loại từ B trở lên trong năm gần nhất được ưu tiên tuyển dụng lại; người quay lại trong vòng 24 tháng được giữ nguyên thâm niên để tính phép năm {c}."),
    ],
    "company/van-phong.html": [
        ("Giờ mở cửa văn phòng", "Văn phòng mở cửa đến mấy giờ?",
         "Dạ, văn phòng mở cửa từ 7:00 đến 21:00 từ thứ Hai đến thứ Sáu và từ 8:00 đến 12:00 sáng thứ Bảy {c}."),
        ("Giờ mở cửa văn phòng", "Tối nay tôi cần ở lại văn phòng sau 21 giờ thì phải làm gì?",
         "Dạ, anh/chị phải đăng ký với Phòng Hành chính trước 16:00 cùng ngày để bảo vệ tòa nhà mở cửa {c}."),
        ("Gửi xe", "Văn phòng Hà Nội có bao nhiêu chỗ đỗ ô tô theo tháng?",
         "Dạ, văn phòng Hà Nội có 40 chỗ đỗ ô tô theo tháng; khi hết chỗ, đơn đăng ký (mẫu HC-02) được đưa vào danh sách chờ theo thứ tự {c}."),
        ("Gửi xe", "Có chỗ sạc xe máy điện không?",
         "Dạ có, xe máy điện được sạc tại khu vực riêng ở tầng hầm B2 (Hà Nội) từ 7:00 đến 19:00; không sạc xe qua đêm {c}."),
        ("Gửi xe", "Đi xe đạp đến văn phòng Hà Nội thì để xe ở đâu?",
         "Dạ, anh/chị để xe tại khu để xe cạnh cổng B, miễn phí {c}."),
        ("Phòng họp", "Phòng họp Sao Hỏa chứa được bao nhiêu người?",
         "Dạ, phòng Sao Hỏa ở tầng 9 văn phòng Hà Nội chứa 10 người, có màn hình 75 inch và camera hội nghị {c}."),
        ("Phòng họp", "Văn phòng TP. Hồ Chí Minh có những phòng họp nào?",
         "Dạ, văn phòng TP. Hồ Chí Minh có phòng Bến Nghé (8 người, màn hình 65 inch) và phòng Thủ Thiêm (14 người, máy chiếu, camera hội nghị), đều ở tầng 6 {c}."),
        ("Phòng họp", "Muốn đặt Hội trường Ngân Hà thì làm sao?",
         "Dạ, Hội trường Ngân Hà chỉ đặt qua Phòng Hành chính, trước ít nhất 3 ngày làm việc {c}."),
        ("Phòng họp", "Đặt phòng Sao Kim được tối đa bao lâu?",
         "Dạ, mỗi lần đặt phòng Sao Kim, Sao Hỏa và Bến Nghé không quá 2 giờ {c}."),
        ("Khu pantry và ăn uống", "Trái cây ở pantry có vào những ngày nào?",
         "Dạ, trái cây được bổ sung vào sáng thứ Ba và thứ Sáu; cà phê, trà và nước lọc miễn phí cả ngày {c}."),
        ("Khu pantry và ăn uống", "Đồ ăn để trong tủ lạnh chung có bị bỏ đi không?",
         "Dạ, tủ lạnh chung được dọn sạch lúc 17:00 thứ Sáu hằng tuần; đồ ăn không ghi tên và ngày sẽ bị bỏ đi {c}."),
        ("In ấn và văn phòng phẩm", "Mỗi tháng được in bao nhiêu trang?",
         "Dạ, mỗi nhân viên có hạn mức 300 trang đen trắng mỗi tháng; in màu cần được quản lý trực tiếp phê duyệt trên cổng in {c}."),
        ("Tủ đồ cá nhân", "Làm mất chìa khóa tủ đồ thì sao?",
         "Dạ, anh/chị phải nộp phí làm lại chìa 200.000 đồng {c}."),
        ("Khách đến làm việc", "Có khách đến làm việc thì tôi cần đăng ký trước không?",
         "Dạ có, anh/chị đăng ký khách trên cổng nội bộ trước ít nhất 1 ngày làm việc; khách xuất trình giấy tờ tùy thân tại lễ tân để nhận thẻ khách và phải có nhân viên đón, đi cùng {c}."),
        ("An toàn và phòng cháy chữa cháy", "Khi có báo cháy thì tập trung ở đâu?",
         "Dạ, anh/chị đi theo cầu thang thoát hiểm, không dùng thang máy và tập trung tại sân trước tòa nhà {c}."),
        ("An toàn và phòng cháy chữa cháy", "Diễn tập phòng cháy chữa cháy tổ chức vào tháng mấy?",
         "Dạ, diễn tập phòng cháy chữa cháy được tổ chức vào tháng 10 hằng năm {c}."),
    ],
    "company/saomai-books-faq.md": [
        ("SaoMai Books là gì?", "SaoMai Books hỗ trợ chế độ kế toán theo thông tư nào?",
         "Dạ, SaoMai Books hỗ trợ chế độ kế toán theo Thông tư 200/2014/TT-BTC và Thông tư 133/2016/TT-BTC {c}."),
        ("SaoMai Books là gì?", "SaoMai Books ra mắt năm nào?",
         "Dạ, SaoMai Books ra mắt năm 2017 {c}."),
        ("Bảng giá các gói dịch vụ", "Gói Khởi Nghiệp giá bao nhiêu và có giới hạn gì?",
         "Dạ, gói Khởi Nghiệp có giá 1.990.000 đồng mỗi năm (chưa gồm VAT), dành cho 1 người dùng, giới hạn 2.000 chứng từ mỗi năm và 1 chi nhánh {c}."),
        ("Bảng giá các gói dịch vụ", "Gói nào có kết nối API?",
         "Dạ, gói Chuyên Nghiệp (9.990.000 đồng mỗi năm, 10 người dùng) có kết nối API, hỗ trợ nhiều chi nhánh và 1.000 hóa đơn điện tử mỗi năm {c}."),
        ("Bảng giá các gói dịch vụ", "Khách hàng có được dùng thử không?",
         "Dạ có, mọi gói đều có thể dùng thử miễn phí 30 ngày, không cần thẻ thanh toán {c}."),
        ("Giờ hỗ trợ khách hàng", "Bộ phận chăm sóc khách hàng SaoMai Books làm việc giờ nào?",
         "Dạ, Trung tâm Chăm sóc khách hàng hỗ trợ qua chat trong ứng dụng và email support@saomaibooks.vn từ 8:00 đến 20:00, thứ Hai đến thứ Bảy {c}."),
        ("Giờ hỗ trợ khách hàng", "Gói nào được hỗ trợ 24/7?",
         "Dạ, khách hàng gói Chuyên Nghiệp và Doanh Nghiệp được hỗ trợ 24/7 đối với sự cố mức 1 {c}."),
        ("Cam kết chất lượng dịch vụ (SLA)", "Sự cố mức 1 của gói Tiêu Chuẩn được phản hồi trong bao lâu?",
         "Dạ, với gói Khởi Nghiệp và Tiêu Chuẩn, sự cố mức 1 được phản hồi trong 2 giờ; gói Chuyên Nghiệp và Doanh Nghiệp là 30 phút {c}."),
        ("Cam kết chất lượng dịch vụ (SLA)", "Gói Khởi Nghiệp có cam kết thời gian hoạt động không?",
         "Dạ không, gói Khởi Nghiệp và Tiêu Chuẩn không có cam kết thời gian hoạt động bằng hợp đồng; gói Chuyên Nghiệp cam kết 99,9% và gói Doanh Nghiệp 99,95% mỗi tháng {c}."),
        ("Dữ liệu và sao lưu", "Dữ liệu của SaoMai Books được sao lưu bao lâu một lần?",
         "Dạ, hệ thống sao lưu tự động 2 lần mỗi ngày và bản sao lưu được giữ 35 ngày {c}."),
        ("Dữ liệu và sao lưu", "Hết hạn thuê bao thì dữ liệu khách hàng còn giữ bao lâu?",
         "Dạ, sau khi hết hạn, dữ liệu được giữ thêm 90 ngày ở chế độ chỉ đọc, sau đó bị xóa vĩnh viễn {c}."),
        ("Dữ liệu và sao lưu", "Máy chủ của SaoMai Books đặt ở đâu?",
         "Dạ, dữ liệu khách hàng được lưu tại hai trung tâm dữ liệu ở Việt Nam, tại Hà Nội và TP. Hồ Chí Minh {c}."),
        ("Hủy dịch vụ và hoàn tiền", "Khách hàng mua gói năm muốn hủy thì có được hoàn tiền không?",
         "Dạ, khách hàng mua gói năm lần đầu được hủy và hoàn 100% phí trong 14 ngày kể từ ngày thanh toán; sau 14 ngày thì không được hoàn nhưng vẫn dùng đến hết thời hạn {c}."),
        ("Tích hợp", "SaoMai Books kết nối được với bao nhiêu ngân hàng?",
         "Dạ, SaoMai Books kết nối với tài khoản của 12 ngân hàng để tự động đối chiếu sổ phụ {c}."),
        ("Tích hợp", "Giới hạn gọi API của SaoMai Books là bao nhiêu?",
         "Dạ, API có giới hạn 60 yêu cầu mỗi phút cho mỗi tài khoản, áp dụng cho gói Chuyên Nghiệp trở lên {c}."),
        ("Chương trình giới thiệu cho nhân viên", "Tôi giới thiệu khách hàng mua SaoMai Books thì được hoa hồng bao nhiêu?",
         "Dạ, qua chương trình \"Sao Mai Giới thiệu\", anh/chị nhận hoa hồng 10% giá trị hợp đồng năm đầu tiên (chưa gồm VAT), trả cùng kỳ lương sau khi khách hàng thanh toán; cần đăng ký thông tin khách hàng trên cổng nội bộ trước khi khách ký hợp đồng {c}."),
        ("Chương trình giới thiệu cho nhân viên", "Nhân viên kinh doanh có được tham gia chương trình Sao Mai Giới thiệu không?",
         "Dạ không, nhân viên kinh doanh không tham gia chương trình này {c}."),
    ],
}

# (doc_id, section, instruction, input, answer): rows where the user pastes extra input.
INPUT_QA = [
    ("company/nghi-phep.md", "Thủ tục xin nghỉ phép", "Giúp tôi kiểm tra đơn nghỉ phép này đã gửi đúng hạn chưa.",
     "Ngày gửi đơn: thứ Hai 09/03/2026. Kỳ nghỉ: thứ Năm 12/03/2026, 1 ngày phép năm.",
     "Dạ, kỳ nghỉ 1–2 ngày cần gửi đơn trước ít nhất 3 ngày làm việc {c}. Từ thứ Hai 09/03 đến thứ Năm 12/03 có đủ 3 ngày làm việc (thứ Hai, thứ Ba, thứ Tư), nên đơn của anh/chị đã gửi đúng hạn."),
    ("company/lam-them-gio.md", "Tiền lương làm thêm giờ", "Tính giúp tôi tiền làm thêm giờ.",
     "Làm thêm 3 giờ tối thứ Tư, từ 18:00 đến 21:00. Đơn giá tiền lương giờ: 100.000 đồng.",
     "Dạ, làm thêm ban ngày (trước 22:00) của ngày thường được trả 150% đơn giá tiền lương giờ {c}. Vậy tiền làm thêm là 3 giờ × 100.000 đồng × 150% = 450.000 đồng."),
    ("company/cong-tac-phi.pdf", "Phụ cấp lưu trú (công tác phí theo ngày)", "Tính giúp tôi phụ cấp lưu trú cho chuyến công tác này.",
     "Chức danh: nhân viên. Nơi công tác: Đà Nẵng, 3 ngày, có ngủ lại.",
     "Dạ, khi công tác tại Đà Nẵng, nhân viên được phụ cấp lưu trú 400.000 đồng/ngày {c}, nên 3 ngày là 1.200.000 đồng."),
    ("company/an-toan-thong-tin.md", "Thư điện tử và lừa đảo (phishing)", "Email này có đáng ngờ không, tôi nên làm gì?",
     "Tiêu đề: [Khẩn] Xác nhận lại mật khẩu Microsoft 365 trong 2 giờ. Liên kết: http://saomai-tech-login.com/verify",
     "Dạ, với email đáng ngờ như vậy, anh/chị không bấm vào liên kết hay mở tệp đính kèm, mà bấm nút \"Report Phishing\" trên Outlook hoặc chuyển tiếp email tới security@saomaitech.vn {c}."),
]
# --------------------------------------------------------------------------- data: multi-turn
# Each chain is a list of turns (doc_id, section or article number, question, answer).
# Earlier turns become `history`; the last turn is the one the model learns to answer.

CHAINS = [
    [("company/nghi-phep.md", "Nghỉ phép năm", "Mỗi năm nhân viên chính thức được bao nhiêu ngày phép?",
      "Dạ, nhân viên toàn thời gian có 14 ngày phép năm có hưởng lương, cứ đủ 5 năm làm việc được cộng thêm 1 ngày {c}."),
     ("company/nghi-phep.md", "Nghỉ ốm", "Còn nghỉ ốm thì sao?",
      "Dạ, mỗi năm nhân viên có 3 ngày nghỉ ốm hưởng nguyên lương mà không cần giấy tờ y tế; từ ngày thứ 4 trong năm hoặc khi nghỉ liên tục từ 3 ngày trở lên thì phải nộp Giấy chứng nhận nghỉ việc hưởng bảo hiểm xã hội {c}.")],
    [("company/nghi-phep.md", "Thủ tục xin nghỉ phép", "Nghỉ phép 2 ngày thì phải gửi đơn trước bao lâu?",
      "Dạ, với kỳ nghỉ 1–2 ngày, đơn phải được gửi trước ít nhất 3 ngày làm việc {c}."),
     ("company/nghi-phep.md", "Thủ tục xin nghỉ phép", "Thế nghỉ một tuần thì sao?",
      "Dạ, kỳ nghỉ từ 3 ngày trở lên phải gửi đơn trước ít nhất 10 ngày làm việc; nghỉ từ 5 ngày làm việc liên tiếp còn cần thêm phê duyệt của Giám đốc khối {c}.")],
    [("company/nghi-phep.md", "Nghỉ việc riêng có hưởng lương", "Tôi kết hôn thì được nghỉ mấy ngày?",
      "Dạ, khi bản thân kết hôn, anh/chị được nghỉ 3 ngày hưởng nguyên lương {c}."),
     ("company/nghi-phep.md", "Nghỉ việc riêng có hưởng lương", "Còn khi con tôi cưới?",
      "Dạ, khi con đẻ hoặc con nuôi kết hôn, anh/chị được nghỉ 1 ngày hưởng nguyên lương {c}.")],
    [("company/nghi-phep.md", "Nghỉ phép năm", "Một năm tôi có bao nhiêu ngày phép?",
      "Dạ, nhân viên toàn thời gian có 14 ngày phép năm có hưởng lương {c}."),
     ("company/nghi-phep.md", "Nghỉ phép năm", "Đang thử việc thì có được không?",
      "Dạ, trong thời gian thử việc anh/chị chưa được hưởng phép năm {c}."),
     ("company/nghi-phep.md", "Nghỉ không hưởng lương", "Vậy nếu cần nghỉ thì xin nghỉ không lương được chứ?",
      "Dạ, nghỉ không hưởng lương cần Đơn xin nghỉ không lương (mẫu NS-03) gửi trước ít nhất 15 ngày, được Trưởng phòng và Phòng Nhân sự phê duyệt; mỗi năm tối đa 30 ngày và chỉ được xin khi đã dùng hết phép năm {c}.")],
    [("company/lam-them-gio.md", "Tiền lương làm thêm giờ", "Làm thêm ngày thường được trả bao nhiêu phần trăm?",
      "Dạ, làm thêm ban ngày vào ngày thường được trả 150% đơn giá tiền lương giờ {c}."),
     ("company/lam-them-gio.md", "Tiền lương làm thêm giờ", "Nếu làm vào Chủ nhật thì sao?",
      "Dạ, Chủ nhật là ngày nghỉ hằng tuần nên làm thêm ban ngày được trả 200%, ban đêm (22:00–6:00) được trả 270% {c}.")],
    [("company/lam-them-gio.md", "Trực sự cố (on-call)", "Phụ cấp trực sự cố ngày thường là bao nhiêu?",
      "Dạ, phụ cấp trực sự cố là 300.000 đồng cho mỗi ca trực ngày thường {c}."),
     ("company/lam-them-gio.md", "Trực sự cố (on-call)", "Còn trực cuối tuần?",
      "Dạ, ca trực vào thứ Bảy, Chủ nhật hoặc ngày lễ được phụ cấp 500.000 đồng mỗi ca {c}.")],
    [("company/lam-them-gio.md", "Đăng ký và phê duyệt", "Làm thêm thứ Bảy thì phải đăng ký trước khi nào?",
      "Dạ, làm thêm vào thứ Bảy, Chủ nhật hoặc ngày lễ thì gửi phiếu NS-02 trước 17:00 thứ Năm của tuần đó {c}."),
     ("company/lam-them-gio.md", "Đăng ký và phê duyệt", "Trường hợp sự cố khẩn cấp không kịp đăng ký thì sao?",
      "Dạ, trong trường hợp khẩn cấp như sự cố hệ thống SaoMai Books, anh/chị được làm trước và đăng ký bổ sung trong vòng 24 giờ {c}.")],
    [("company/chi-phi-hoan-ung.docx", "Tạm ứng", "Khi nào thì được xin tạm ứng?",
      "Dạ, khi khoản chi dự kiến từ 5.000.000 đồng trở lên, anh/chị xin tạm ứng bằng mẫu TC-01, gửi trước ít nhất 5 ngày làm việc {c}."),
     ("company/chi-phi-hoan-ung.docx", "Tạm ứng", "Xong việc thì hoàn ứng trong bao lâu?",
      "Dạ, anh/chị phải hoàn ứng trong vòng 7 ngày làm việc kể từ khi kết thúc công việc {c}.")],
    [("company/chi-phi-hoan-ung.docx", "Tiếp khách", "Chi phí tiếp khách tối đa bao nhiêu mỗi người?",
      "Dạ, tối đa 700.000 đồng cho mỗi người tham dự một bữa {c}."),
     ("company/chi-phi-hoan-ung.docx", "Tiếp khách", "Thế một tháng phòng tôi được chi tối đa bao nhiêu?",
      "Dạ, chi phí tiếp khách không quá 10.000.000 đồng mỗi tháng cho một phòng ban {c}.")],
    [("company/cong-tac-phi.pdf", "Phụ cấp lưu trú (công tác phí theo ngày)", "Phụ cấp lưu trú khi đi công tác Hà Nội của nhân viên là bao nhiêu?",
      "Dạ, nhân viên công tác tại Hà Nội, TP. Hồ Chí Minh hoặc Đà Nẵng được phụ cấp lưu trú 400.000 đồng/ngày {c}."),
     ("company/cong-tac-phi.pdf", "Phụ cấp lưu trú (công tác phí theo ngày)", "Còn nếu là trưởng nhóm thì sao?",
      "Dạ, cấp quản lý được tính từ Trưởng nhóm trở lên, nên trưởng nhóm công tác tại Hà Nội được 500.000 đồng/ngày {c}.")],
    [("company/cong-tac-phi.pdf", "Tiền thuê phòng nghỉ", "Tiền khách sạn tối đa cho nhân viên khi công tác TP. Hồ Chí Minh là bao nhiêu?",
      "Dạ, nhân viên được thuê phòng tối đa 1.000.000 đồng mỗi đêm khi công tác tại Hà Nội, TP. Hồ Chí Minh hoặc Đà Nẵng {c}."),
     ("company/cong-tac-phi.pdf", "Tiền thuê phòng nghỉ", "Thế công tác ở tỉnh khác?",
      "Dạ, ở các tỉnh, thành phố khác, nhân viên được thuê phòng tối đa 800.000 đồng mỗi đêm, cấp quản lý tối đa 1.200.000 đồng {c}.")],
    [("company/cong-tac-phi.pdf", "Đề xuất và phê duyệt chuyến công tác", "Đi công tác nước ngoài phải gửi tờ trình trước bao lâu?",
      "Dạ, công tác nước ngoài phải gửi Tờ trình công tác (mẫu CT-01) trước ít nhất 15 ngày làm việc để Tổng Giám đốc phê duyệt {c}."),
     ("company/cong-tac-phi.pdf", "Bảo hiểm và an toàn", "Có được mua bảo hiểm không?",
      "Dạ có, nhân viên đi công tác nước ngoài được công ty mua bảo hiểm du lịch quốc tế với quyền lợi tối đa 50.000 USD mỗi chuyến; giấy chứng nhận được gửi qua email trước ngày khởi hành ít nhất 2 ngày {c}.")],
    [("company/an-toan-thong-tin.md", "Báo cáo sự cố an toàn thông tin", "Phát hiện sự cố an toàn thông tin phải báo trong bao lâu?",
      "Dạ, phải báo trong vòng 1 giờ kể từ khi phát hiện qua security@saomaitech.vn hoặc máy lẻ 999 {c}."),
     ("company/an-toan-thong-tin.md", "Báo cáo sự cố an toàn thông tin", "Sau đó cần làm gì thêm?",
      "Dạ, sau khi báo, anh/chị hoàn thành Báo cáo sự cố (mẫu IT-03) trong vòng 24 giờ {c}.")],
    [("company/an-toan-thong-tin.md", "Phân loại dữ liệu", "Dữ liệu kế toán của khách hàng thuộc mức phân loại nào?",
      "Dạ, dữ liệu kế toán của khách hàng lưu trên SaoMai Books thuộc mức Tuyệt mật {c}."),
     ("company/an-toan-thong-tin.md", "Phân loại dữ liệu", "Thế còn thông tin lương?",
      "Dạ, thông tin lương thuộc mức Mật {c}.")],
    [("company/mat-khau-thiet-bi.txt", "Quy tắc đặt mật khẩu", "Mật khẩu phải dài bao nhiêu ký tự?",
      "Dạ, tối thiểu 12 ký tự, gồm đủ chữ hoa, chữ thường, chữ số và ký tự đặc biệt {c}."),
     ("company/mat-khau-thiet-bi.txt", "Quy tắc đặt mật khẩu", "Bao lâu phải đổi một lần?",
      "Dạ, mật khẩu phải đổi 180 ngày một lần và không được dùng lại 5 mật khẩu gần nhất {c}.")],
    [("company/mat-khau-thiet-bi.txt", "Cấp phát thiết bị", "Kỹ sư phần mềm được cấp máy gì?",
      "Dạ, MacBook Pro 14 inch hoặc Dell XPS 15, RAM 32 GB {c}."),
     ("company/mat-khau-thiet-bi.txt", "Cấp phát thiết bị", "Bao lâu thì được thay máy mới?",
      "Dạ, chu kỳ thay mới máy tính là 4 năm {c}.")],
    [("company/mat-khau-thiet-bi.txt", "Hư hỏng và mất thiết bị", "Làm rơi vỡ laptop thì có phải bồi thường không?",
      "Dạ có, thiết bị hỏng do lỗi người dùng thì nhân viên bồi thường 30% chi phí sửa chữa, tối đa 5.000.000 đồng mỗi lần {c}."),
     ("company/mat-khau-thiet-bi.txt", "Hư hỏng và mất thiết bị", "Còn nếu làm mất máy?",
      "Dạ, thiết bị bị mất do sơ suất thì nhân viên bồi thường 50% giá trị còn lại theo sổ sách, và phải báo ngay theo Chính sách an toàn thông tin {c}.")],
    [("company/hoi-nhap-tuan-dau.md", "Ngày 1: Chào mừng", "Ngày đầu tiên ở văn phòng Hà Nội tôi cần có mặt lúc mấy giờ?",
      "Dạ, anh/chị có mặt tại quầy lễ tân tầng 9 lúc 8:30 {c}."),
     ("company/hoi-nhap-tuan-dau.md", "Ngày 2: Thiết bị và tài khoản", "Ngày thứ hai thì làm gì?",
      "Dạ, buổi sáng ngày thứ hai IT Helpdesk bàn giao máy tính, hướng dẫn đổi mật khẩu, cài xác thực hai lớp và kết nối SaoMai VPN; anh/chị ký Cam kết bảo mật thông tin (mẫu NS-06) và bắt đầu khóa \"An toàn thông tin cơ bản\" {c}.")],
    [("company/hoi-nhap-tuan-dau.md", "Người đồng hành (buddy)", "Ai sẽ là người đồng hành của tôi?",
      "Dạ, người đồng hành là một đồng nghiệp có thâm niên từ 1 năm trở lên, không phải quản lý trực tiếp của anh/chị {c}."),
     ("company/hoi-nhap-tuan-dau.md", "Người đồng hành (buddy)", "Người đó đi cùng tôi bao lâu?",
      "Dạ, buddy đồng hành trong 60 ngày đầu và gặp anh/chị ít nhất 30 phút mỗi tuần {c}.")],
    [("company/thu-viec-hop-dong.docx", "Thời gian thử việc", "Kỹ sư thử việc bao lâu?",
      "Dạ, kỹ sư thử việc tối đa 60 ngày {c}."),
     ("company/thu-viec-hop-dong.docx", "Tiền lương trong thời gian thử việc", "Lương trong thời gian đó thế nào?",
      "Dạ, trong thời gian thử việc anh/chị hưởng 90% mức lương chính thức của vị trí, cùng đầy đủ phụ cấp ăn trưa và điện thoại {c}.")],
    [("company/thu-viec-hop-dong.docx", "Các loại hợp đồng lao động", "Hợp đồng lao động đầu tiên ký bao lâu?",
      "Dạ, hợp đồng lần thứ nhất là hợp đồng xác định thời hạn 12 tháng {c}."),
     ("company/thu-viec-hop-dong.docx", "Các loại hợp đồng lao động", "Sau đó thì sao?",
      "Dạ, lần thứ hai ký hợp đồng xác định thời hạn 24 tháng, lần thứ ba ký hợp đồng không xác định thời hạn {c}.")],
    [("company/luong-thuong.md", "Kỳ trả lương", "Ngày mấy công ty trả lương?",
      "Dạ, lương được trả vào ngày 5 của tháng kế tiếp {c}."),
     ("company/luong-thuong.md", "Kỳ trả lương", "Nếu ngày đó rơi vào Chủ nhật thì sao?",
      "Dạ, nếu ngày 5 rơi vào thứ Bảy, Chủ nhật hoặc ngày lễ, lương được trả vào ngày làm việc liền trước đó {c}.")],
    [("company/luong-thuong.md", "Thưởng tháng lương thứ 13", "Thưởng tháng 13 được bao nhiêu?",
      "Dạ, thưởng tháng lương thứ 13 bằng một tháng lương cơ bản {c}."),
     ("company/luong-thuong.md", "Thưởng tháng lương thứ 13", "Tôi mới vào làm từ tháng 7 thì có được không?",
      "Dạ có, người làm việc chưa đủ 12 tháng trong năm được tính theo tỷ lệ số tháng làm việc, với điều kiện còn làm việc tại công ty vào ngày 31/12 {c}.")],
    [("company/phuc-loi-bao-hiem.pdf", "Gói bảo hiểm sức khỏe Sao Mai Care", "Bảo hiểm Sao Mai Care chi trả nội trú bao nhiêu?",
      "Dạ, quyền lợi điều trị nội trú là 200.000.000 đồng mỗi năm {c}."),
     ("company/phuc-loi-bao-hiem.pdf", "Gói bảo hiểm sức khỏe Sao Mai Care", "Còn ngoại trú?",
      "Dạ, điều trị ngoại trú được tối đa 10.000.000 đồng mỗi năm và không quá 2.000.000 đồng mỗi lần khám {c}.")],
    [("company/phuc-loi-bao-hiem.pdf", "Bảo hiểm cho người thân", "Tôi có thể mua Sao Mai Care cho con không?",
      "Dạ có, công ty hỗ trợ 50% phí cho mỗi con dưới 18 tuổi, tối đa 2 con {c}."),
     ("company/phuc-loi-bao-hiem.pdf", "Bảo hiểm cho người thân", "Đăng ký vào thời gian nào?",
      "Dạ, đăng ký cho người thân mỗi năm một lần từ ngày 01/12 đến ngày 15/12, hoặc trong vòng 30 ngày kể từ ngày kết hôn hoặc sinh con {c}.")],
    [("company/kham-suc-khoe.txt", "Thời gian và địa điểm", "Lịch khám sức khỏe ở Hà Nội năm 2026 là khi nào?",
      "Dạ, từ ngày 14/4 đến ngày 18/4/2026 tại Phòng khám Đa khoa An Việt, số 25 phố Trung Kính {c}."),
     ("company/kham-suc-khoe.txt", "Thời gian và địa điểm", "Còn ở TP. Hồ Chí Minh?",
      "Dạ, văn phòng TP. Hồ Chí Minh khám từ ngày 21/4 đến ngày 24/4/2026 tại Phòng khám Đa khoa Minh An, số 102 đường Cách Mạng Tháng Tám {c}.")],
    [("company/kham-suc-khoe.txt", "Chuẩn bị trước khi khám", "Đi khám sức khỏe có cần nhịn ăn không?",
      "Dạ có, anh/chị nhịn ăn ít nhất 8 giờ trước khi lấy máu, được uống nước lọc {c}."),
     ("company/kham-suc-khoe.txt", "Kết quả khám", "Bao lâu thì có kết quả?",
      "Dạ, kết quả chi tiết được phòng khám gửi tới email cá nhân trong vòng 10 ngày làm việc sau ngày khám {c}.")],
    [("company/quy-tac-ung-xu.md", "Nhận quà tặng", "Đối tác tặng quà trị giá 1 triệu thì tôi có được nhận không?",
      "Dạ được, nhưng quà trên 500.000 đồng đến 2.000.000 đồng phải khai báo bằng mẫu PC-02 trong vòng 3 ngày làm việc {c}."),
     ("company/quy-tac-ung-xu.md", "Nhận quà tặng", "Nếu quà trị giá 3 triệu thì sao?",
      "Dạ, quà trên 2.000.000 đồng phải được từ chối một cách lịch sự; nếu không thể từ chối, anh/chị nộp quà cho Phòng Pháp chế để xử lý {c}.")],
    [("company/quy-tac-ung-xu.md", "Môi trường làm việc tôn trọng", "Tôi muốn báo cáo hành vi quấy rối thì gửi đến đâu?",
      "Dạ, anh/chị báo cáo qua kênh \"Tiếng nói Sao Mai\": email ethics@saomaitech.vn hoặc biểu mẫu ẩn danh trên cổng nội bộ {c}."),
     ("company/quy-tac-ung-xu.md", "Môi trường làm việc tôn trọng", "Bao lâu thì có phản hồi?",
      "Dạ, Ban Đạo đức gồm 3 thành viên sẽ xác minh và trả lời người báo cáo trong vòng 15 ngày làm việc {c}.")],
    [("company/remote-work-policy.md", "Hybrid schedule", "Mỗi tuần tôi được làm từ xa mấy ngày?",
      "Dạ, nhân viên đủ điều kiện được làm từ xa tối đa 2 ngày mỗi tuần; thứ Tư mọi người làm việc tại văn phòng {c}."),
     ("company/remote-work-policy.md", "How to request remote days", "Muốn làm từ xa thêm một ngày đột xuất thì đăng ký thế nào?",
      "Dạ, anh/chị gửi mẫu NS-05 trên SaoMai People trước ít nhất 1 ngày làm việc; quản lý duyệt hoặc từ chối trong cùng ngày làm việc {c}.")],
    [("company/remote-work-policy.md", "Home office setup and allowances", "Có phụ cấp internet khi làm từ xa không?",
      "Dạ có, nhân viên làm từ xa ít nhất 4 ngày trong tháng được phụ cấp internet 150.000 đồng cho tháng đó {c}."),
     ("company/remote-work-policy.md", "Home office setup and allowances", "Còn tiền mua bàn ghế?",
      "Dạ, sau khi qua thử việc, nhân viên đủ điều kiện được hỗ trợ một lần 2.000.000 đồng để mua ghế, bàn hoặc đèn, hoàn tiền theo hóa đơn trong vòng 90 ngày {c}.")],
    [("company/ngan-sach-dao-tao.md", "Ngân sách đào tạo cá nhân", "Ngân sách đào tạo mỗi năm của nhân viên là bao nhiêu?",
      "Dạ, mỗi nhân viên chính thức có 8.000.000 đồng mỗi năm {c}."),
     ("company/ngan-sach-dao-tao.md", "Ngân sách đào tạo cá nhân", "Còn trưởng nhóm?",
      "Dạ, cấp Trưởng nhóm trở lên có ngân sách đào tạo 15.000.000 đồng mỗi năm {c}.")],
    [("company/ngan-sach-dao-tao.md", "Thi chứng chỉ", "Lệ phí thi chứng chỉ AWS có được hỗ trợ không?",
      "Dạ có, lệ phí thi được hỗ trợ 100% cho lần thi đầu tiên {c}."),
     ("company/ngan-sach-dao-tao.md", "Thi chứng chỉ", "Đỗ thì có được thưởng gì không?",
      "Dạ có, AWS Solutions Architect nằm trong danh sách chứng chỉ ưu tiên nên thi đạt được thưởng 3.000.000 đồng {c}.")],
    [("company/danh-gia-hieu-suat.md", "Tăng lương theo xếp loại", "Xếp loại A được tăng lương bao nhiêu?",
      "Dạ, xếp loại A được tăng lương từ 12% đến 15% {c}."),
     ("company/danh-gia-hieu-suat.md", "Tăng lương theo xếp loại", "Thế còn B?",
      "Dạ, xếp loại B được tăng lương từ 4% đến 6% {c}.")],
    [("company/danh-gia-hieu-suat.md", "Các mốc thời gian đánh giá cuối năm", "Khi nào phải tự đánh giá cuối năm?",
      "Dạ, nhân viên tự đánh giá từ ngày 01/12 đến ngày 10/12 {c}."),
     ("company/danh-gia-hieu-suat.md", "Các mốc thời gian đánh giá cuối năm", "Bao giờ thì biết kết quả?",
      "Dạ, quản lý trực tiếp thông báo kết quả trong buổi 1:1 trước ngày 31/01 {c}.")],
    [("company/nghi-viec-ban-giao.md", "Thời hạn báo trước", "Hợp đồng không xác định thời hạn phải báo trước bao lâu khi nghỉ việc?",
      "Dạ, phải báo trước 45 ngày {c}."),
     ("company/nghi-viec-ban-giao.md", "Thời hạn báo trước", "Còn hợp đồng 12 tháng?",
      "Dạ, hợp đồng xác định thời hạn từ 12 tháng đến 36 tháng phải báo trước 30 ngày {c}.")],
    [("company/nghi-viec-ban-giao.md", "Thanh toán và giấy tờ khi nghỉ việc", "Nghỉ việc thì bao lâu nhận được tiền lương còn lại?",
      "Dạ, trong vòng 14 ngày làm việc kể từ ngày chấm dứt hợp đồng {c}."),
     ("company/nghi-viec-ban-giao.md", "Phép năm còn lại", "Phép năm chưa nghỉ có được trả tiền không?",
      "Dạ có, số ngày phép chưa sử dụng được thanh toán bằng tiền theo lương cơ bản trong khoản thanh toán cuối cùng {c}.")],
    [("company/van-phong.html", "Gửi xe", "Gửi xe máy ở văn phòng Hà Nội có mất phí không?",
      "Dạ không, xe máy gửi tại tầng hầm B2 miễn phí khi quẹt thẻ nhân viên {c}."),
     ("company/van-phong.html", "Gửi xe", "Còn ô tô?",
      "Dạ, ô tô gửi tại tầng hầm B3 với giá 1.500.000 đồng/tháng, công ty hỗ trợ 50% {c}.")],
    [("company/van-phong.html", "Phòng họp", "Đặt phòng họp bằng cách nào?",
      "Dạ, anh/chị đặt phòng qua lịch Outlook bằng cách thêm phòng vào cuộc họp {c}."),
     ("company/van-phong.html", "Phòng họp", "Nếu không dùng nữa thì sao?",
      "Dạ, người đặt phải hủy lịch trước ít nhất 30 phút; nếu không có người check-in trên máy tính bảng trước cửa sau 15 phút, cuộc họp sẽ tự động bị hủy {c}.")],
    [("company/saomai-books-faq.md", "Bảng giá các gói dịch vụ", "Gói Tiêu Chuẩn giá bao nhiêu?",
      "Dạ, gói Tiêu Chuẩn có giá 4.990.000 đồng mỗi năm (chưa gồm VAT), dành cho 3 người dùng {c}."),
     ("company/saomai-books-faq.md", "Bảng giá các gói dịch vụ", "Muốn thêm người dùng thì tính thế nào?",
      "Dạ, người dùng bổ sung có giá 990.000 đồng mỗi người mỗi năm {c}.")],
    [("company/saomai-books-faq.md", "Cam kết chất lượng dịch vụ (SLA)", "Cam kết thời gian hoạt động của gói Chuyên Nghiệp là bao nhiêu?",
      "Dạ, gói Chuyên Nghiệp cam kết thời gian hoạt động 99,9% mỗi tháng {c}."),
     ("company/saomai-books-faq.md", "Cam kết chất lượng dịch vụ (SLA)", "Nếu không đạt thì khách được bù gì?",
      "Dạ, khách hàng được bù 10% phí dịch vụ của tháng đó cho mỗi 0,1% thiếu hụt, tối đa 50%, trừ vào kỳ gia hạn tiếp theo {c}.")],
    [("company/luong-thuong.md", "Kỳ trả lương", "Lương tháng này bao giờ về?",
      "Dạ, lương được trả vào ngày 5 của tháng kế tiếp bằng chuyển khoản {c}."),
     ("company/luong-thuong.md", "Kỳ trả lương", "Thế phiếu lương thì khi nào có?",
      "Dạ, phiếu lương điện tử được gửi qua SaoMai People vào ngày 4, trước ngày trả lương một ngày {c}."),
     ("company/luong-thuong.md", "Thắc mắc về lương", "Nếu thấy phiếu lương có sai sót thì tôi báo ai?",
      "Dạ, anh/chị gửi email tới payroll@saomaitech.vn (máy lẻ 208) trong vòng 5 ngày làm việc kể từ ngày nhận phiếu lương; bộ phận Tiền lương sẽ phản hồi trong 3 ngày làm việc và điều chỉnh khoản chênh lệch (nếu có) vào kỳ lương kế tiếp {c}.")],
    [("company/cong-tac-phi.pdf", "Phụ cấp lưu trú (công tác phí theo ngày)", "Nhân viên đi công tác Đà Nẵng 2 ngày thì phụ cấp lưu trú bao nhiêu?",
      "Dạ, nhân viên công tác tại Đà Nẵng được 400.000 đồng/ngày, nên 2 ngày là 800.000 đồng {c}."),
     ("company/cong-tac-phi.pdf", "Tiền thuê phòng nghỉ", "Còn khách sạn thì được tối đa bao nhiêu?",
      "Dạ, nhân viên được thuê phòng tối đa 1.000.000 đồng mỗi đêm tại Đà Nẵng {c}."),
     ("company/cong-tac-phi.pdf", "Quyết toán sau chuyến công tác", "Về rồi thì phải quyết toán trong bao lâu?",
      "Dạ, trong vòng 10 ngày làm việc sau khi về, anh/chị nộp Bảng kê chi phí công tác (mẫu TC-04) kèm thẻ lên máy bay hoặc vé, hóa đơn khách sạn và báo cáo kết quả công tác có xác nhận của quản lý trực tiếp {c}.")],
    [("company/mat-khau-thiet-bi.txt", "Quy tắc đặt mật khẩu", "Mật khẩu công ty cần tối thiểu bao nhiêu ký tự?",
      "Dạ, tối thiểu 12 ký tự, gồm chữ hoa, chữ thường, chữ số và ký tự đặc biệt {c}."),
     ("company/mat-khau-thiet-bi.txt", "Xác thực hai lớp (MFA)", "Có bắt buộc bật xác thực hai lớp không?",
      "Dạ có, xác thực hai lớp là bắt buộc với email, SaoMai VPN, GitLab và bảng điều khiển AWS, dùng ứng dụng Microsoft Authenticator {c}."),
     ("company/mat-khau-thiet-bi.txt", "Xác thực hai lớp (MFA)", "Lỡ mất điện thoại thì sao?",
      "Dạ, anh/chị liên hệ IT Helpdesk để đặt lại MFA; việc đặt lại chỉ thực hiện sau khi xác minh qua cuộc gọi video có xuất trình thẻ nhân viên {c}.")],
    # laws
    [("laws/luat-cu-tru.md", "20", "Công dân có nhà riêng thì đăng ký thường trú ở đâu?",
      "Dạ, theo Điều 20 Luật Cư trú, công dân có chỗ ở hợp pháp thuộc quyền sở hữu của mình thì được đăng ký thường trú tại chỗ ở hợp pháp đó {c}."),
     ("laws/luat-cu-tru.md", "20", "Thế trường hợp người chưa thành niên?",
      "Dạ, theo khoản 7 Điều 20 Luật Cư trú {c}, việc đăng ký thường trú của người chưa thành niên phải được sự đồng ý của cha, mẹ hoặc người giám hộ, trừ trường hợp nơi cư trú của người chưa thành niên do Tòa án quyết định.")],
    [("laws/luat-cu-tru.md", "20", "Thuê nhà thì có được đăng ký thường trú không?",
      "Dạ được, theo khoản 3 Điều 20 Luật Cư trú, công dân được đăng ký thường trú tại chỗ ở hợp pháp do thuê khi được chủ sở hữu đồng ý và bảo đảm điều kiện về diện tích nhà ở tối thiểu {c}."),
     ("laws/luat-cu-tru.md", "20", "Diện tích tối thiểu là bao nhiêu?",
      "Dạ, theo điểm b khoản 3 Điều 20 Luật Cư trú {c}, diện tích nhà ở tối thiểu do Hội đồng nhân dân cấp tỉnh quy định nhưng không thấp hơn 08 m2 sàn/người.")],
    [("laws/luat-hon-nhan-va-gia-dinh.md", "9", "Kết hôn có bắt buộc phải đăng ký không?",
      "Dạ, theo Điều 9 Luật Hôn nhân và gia đình, việc kết hôn phải được đăng ký và do cơ quan nhà nước có thẩm quyền thực hiện {c}."),
     ("laws/luat-hon-nhan-va-gia-dinh.md", "9", "Nếu không đăng ký thì sao?",
      "Dạ, theo khoản 1 Điều 9 Luật Hôn nhân và gia đình {c}, việc kết hôn không được đăng ký theo quy định thì không có giá trị pháp lý.")],
    [("laws/luat-vien-chuc.md", "25", "Hợp đồng làm việc của viên chức có mấy loại?",
      "Dạ, theo Điều 25 Luật Viên chức, có hai loại: hợp đồng làm việc xác định thời hạn và hợp đồng làm việc không xác định thời hạn {c}."),
     ("laws/luat-vien-chuc.md", "25", "Loại xác định thời hạn thì dài bao lâu?",
      "Dạ, theo khoản 1 Điều 25 Luật Viên chức {c}, hợp đồng làm việc xác định thời hạn có thời hạn trong khoảng từ đủ 12 tháng đến 36 tháng.")],
    [("laws/luat-giao-duc.md", "38", "Giáo dục đại học đào tạo những trình độ nào?",
      "Dạ, theo Điều 38 Luật Giáo dục, giáo dục đại học đào tạo trình độ đại học, thạc sĩ và tiến sĩ {c}."),
     ("laws/luat-giao-duc.md", "35", "Còn giáo dục nghề nghiệp?",
      "Dạ, theo Điều 35 Luật Giáo dục {c}, giáo dục nghề nghiệp đào tạo trình độ sơ cấp, trung cấp, cao đẳng và các chương trình đào tạo nghề nghiệp khác.")],
    [("laws/hien-phap.md", "20", "Hiến pháp có bảo vệ quyền bất khả xâm phạm về thân thể không?",
      "Dạ có, theo khoản 1 Điều 20 Hiến pháp, mọi người có quyền bất khả xâm phạm về thân thể, được pháp luật bảo hộ về sức khỏe, danh dự và nhân phẩm {c}."),
     ("laws/hien-phap.md", "20", "Vậy muốn bắt người thì cần gì?",
      "Dạ, theo khoản 2 Điều 20 Hiến pháp {c}, không ai bị bắt nếu không có quyết định của Tòa án nhân dân, quyết định hoặc phê chuẩn của Viện kiểm sát nhân dân, trừ trường hợp phạm tội quả tang.")],
    [("laws/luat-tiep-can-thong-tin.md", "4", "Ai có quyền yêu cầu cơ quan nhà nước cung cấp thông tin?",
      "Dạ, theo Điều 4 Luật Tiếp cận thông tin, công dân thực hiện quyền tiếp cận thông tin theo quy định của luật {c}."),
     ("laws/luat-tiep-can-thong-tin.md", "4", "Thế trường hợp người chưa thành niên?",
      "Dạ, theo khoản 3 Điều 4 Luật Tiếp cận thông tin {c}, người dưới 18 tuổi yêu cầu cung cấp thông tin thông qua người đại diện theo pháp luật, trừ trường hợp luật về trẻ em và luật khác có quy định khác.")],
    [("laws/luat-trong-tai-thuong-mai.md", "39", "Hội đồng trọng tài gồm bao nhiêu trọng tài viên?",
      "Dạ, theo Điều 39 Luật Trọng tài thương mại, Hội đồng trọng tài có thể gồm một hoặc nhiều trọng tài viên theo thỏa thuận của các bên {c}."),
     ("laws/luat-trong-tai-thuong-mai.md", "39", "Nếu các bên không thỏa thuận được số lượng thì sao?",
      "Dạ, theo khoản 2 Điều 39 Luật Trọng tài thương mại {c}, khi các bên không có thỏa thuận về số lượng trọng tài viên thì Hội đồng trọng tài gồm ba trọng tài viên.")],
    [("laws/luat-du-lich.md", "31", "Người phụ trách kinh doanh lữ hành nội địa cần trình độ gì?",
      "Dạ, theo Điều 31 Luật Du lịch, người phụ trách phải tốt nghiệp trung cấp trở lên chuyên ngành về lữ hành; nếu tốt nghiệp chuyên ngành khác thì phải có chứng chỉ nghiệp vụ điều hành du lịch nội địa {c}."),
     ("laws/luat-du-lich.md", "31", "Còn lữ hành quốc tế?",
      "Dạ, theo điểm c khoản 2 Điều 31 Luật Du lịch {c}, người phụ trách kinh doanh dịch vụ lữ hành quốc tế phải tốt nghiệp cao đẳng trở lên chuyên ngành về lữ hành; trường hợp tốt nghiệp cao đẳng trở lên chuyên ngành khác phải có chứng chỉ nghiệp vụ điều hành du lịch quốc tế.")],
    [("laws/bo-luat-dan-su.md", "466", "Vay tiền thì phải trả nợ ở đâu?",
      "Dạ, theo khoản 3 Điều 466 Bộ luật dân sự, địa điểm trả nợ là nơi cư trú hoặc nơi đặt trụ sở của bên cho vay, trừ trường hợp có thỏa thuận khác {c}."),
     ("laws/bo-luat-dan-su.md", "466", "Nếu vay có lãi mà trả chậm thì sao?",
      "Dạ, theo khoản 5 Điều 466 Bộ luật dân sự {c}, bên vay phải trả lãi trên nợ gốc theo lãi suất thỏa thuận và lãi chậm trả; riêng nợ gốc quá hạn chưa trả phải chịu lãi bằng 150% lãi suất vay theo hợp đồng tương ứng với thời gian chậm trả, trừ trường hợp có thỏa thuận khác.")],
]
# --------------------------------------------------------------------------- data: English rows
# (doc_id, section or article number, question, answer)

ENGLISH_QA = [
    ("company/nghi-phep.md", "Nghỉ phép năm", "How many days of annual leave do full-time employees get?",
     "Full-time employees get 14 days of paid annual leave, plus 1 extra day for every 5 years of service {c}."),
    ("company/nghi-phep.md", "Nghỉ phép năm", "Can I take annual leave during my probation?",
     "No. Employees on probation are not yet entitled to annual leave; it is counted from the date the labour contract is signed {c}."),
    ("company/lam-them-gio.md", "Tiền lương làm thêm giờ", "What is the overtime rate on weekends?",
     "Daytime overtime on a weekly day off is paid at 200% of the normal hourly rate, and night-time overtime (22:00–6:00) at 270% {c}."),
    ("company/chi-phi-hoan-ung.docx", "Tạm ứng", "On which days does Accounting transfer cash advances?",
     "Accounting transfers cash advances every Tuesday and Thursday, to the employee's salary account {c}."),
    ("company/chi-phi-hoan-ung.docx", "Đi lại nội thành", "Can I get a taxi home after working late?",
     "Yes. Employees doing approved overtime who leave the office after 21:00 can claim a taxi home of up to 200,000 VND per trip {c}."),
    ("company/cong-tac-phi.pdf", "Quyết toán sau chuyến công tác", "When do I have to submit my expenses after a business trip?",
     "Within 10 working days of returning, submit the business trip expense statement (form TC-04) with your boarding passes or tickets, hotel invoices and a trip report {c}."),
    ("company/cong-tac-phi.pdf", "Tạm ứng công tác phí", "How much cash advance can I get for a business trip?",
     "Up to 80% of the approved budget, requested with form TC-01 {c}."),
    ("company/an-toan-thong-tin.md", "Báo cáo sự cố an toàn thông tin", "How quickly must I report a lost laptop?",
     "Within 1 hour of discovering the loss, via security@saomaitech.vn or extension 999 (staffed 24/7), followed by an incident report (form IT-03) within 24 hours {c}."),
    ("company/an-toan-thong-tin.md", "Sử dụng công cụ trí tuệ nhân tạo", "Can I paste internal financial reports into ChatGPT?",
     "No. Confidential or Strictly Confidential data must not be entered into public AI tools; use the SaoMai AI Hub at ai.saomaitech.vn instead {c}."),
    ("company/mat-khau-thiet-bi.txt", "Quy tắc đặt mật khẩu", "What are the password requirements?",
     "Passwords must be at least 12 characters long and include upper-case and lower-case letters, digits and special characters; they must be changed every 180 days {c}."),
    ("company/mat-khau-thiet-bi.txt", "Xác thực hai lớp (MFA)", "Which app is used for two-factor authentication?",
     "Microsoft Authenticator; codes sent by SMS are not accepted {c}."),
    ("company/hoi-nhap-tuan-dau.md", "Ngày 1: Chào mừng", "What time should I arrive on my first day?",
     "Please arrive at 8:30 at the reception on floor 9 (Hanoi office) or floor 6 (Ho Chi Minh City office), where the Onboarding Specialist will meet you {c}."),
    ("company/thu-viec-hop-dong.docx", "Tiền lương trong thời gian thử việc", "What salary do I get during probation?",
     "Employees on probation receive 90% of the official salary for the position, plus the full lunch and phone allowances {c}."),
    ("company/luong-thuong.md", "Kỳ trả lương", "When is salary paid?",
     "Salary is paid once a month, on the 5th of the following month, by bank transfer; if the 5th falls on a weekend or public holiday, it is paid on the previous working day {c}."),
    ("company/luong-thuong.md", "Cơ cấu thu nhập hằng tháng", "How much is the lunch allowance?",
     "The lunch allowance is 880,000 VND per month, calculated at 40,000 VND per actual working day {c}."),
    ("company/phuc-loi-bao-hiem.pdf", "Gói bảo hiểm sức khỏe Sao Mai Care", "How much does Sao Mai Care cover for inpatient treatment?",
     "Inpatient treatment for illness or accident is covered up to 200,000,000 VND per year {c}."),
    ("company/phuc-loi-bao-hiem.pdf", "Chương trình Sống khỏe", "How much is the wellness budget?",
     "Each permanent employee has a \"Sống khỏe\" (Live Well) budget of 3,000,000 VND per year for gyms, swimming, yoga or running events, reimbursed quarterly {c}."),
    ("company/kham-suc-khoe.txt", "Thời gian và địa điểm", "When is the 2026 health check for the Hanoi office?",
     "From 14 to 18 April 2026 at Phòng khám Đa khoa An Việt, 25 Trung Kính Street, Hanoi; each session runs from 7:30 to 10:30 in the morning {c}."),
    ("company/quy-tac-ung-xu.md", "Nhận quà tặng", "Can I accept a gift worth 1.5 million VND from a supplier?",
     "You may accept it, but gifts worth more than 500,000 VND and up to 2,000,000 VND must be declared with form PC-02 in SaoMai People within 3 working days; if you are involved in selecting or negotiating with that supplier, you may not accept any gift {c}."),
    ("company/remote-work-policy.md", "Hybrid schedule", "How many days a week can I work remotely?",
     "Eligible employees can work remotely up to 2 days per week; Wednesday is the anchor day when everyone works from the office {c}."),
    ("company/remote-work-policy.md", "How to request remote days", "How do I request an extra remote day?",
     "Submit form NS-05 in SaoMai People at least 1 working day in advance; managers approve or reject requests within the same working day {c}."),
    ("company/ngan-sach-dao-tao.md", "Ngân sách đào tạo cá nhân", "What is my annual training budget?",
     "Each permanent employee has 8,000,000 VND per year, and team leads and above have 15,000,000 VND {c}."),
    ("company/danh-gia-hieu-suat.md", "Tăng lương theo xếp loại", "What salary increase does a B+ rating give?",
     "A B+ rating gives a salary increase of 8% to 10%, effective from 1 April {c}."),
    ("company/nghi-viec-ban-giao.md", "Thời hạn báo trước", "How much notice must I give on an indefinite-term contract?",
     "You must give 45 days' notice on an indefinite-term contract {c}."),
    ("company/van-phong.html", "Gửi xe", "Is motorbike parking free at the Hanoi office?",
     "Yes. Motorbike parking in basement B2 is free when you swipe your employee card {c}."),
    ("company/saomai-books-faq.md", "Bảng giá các gói dịch vụ", "How much does the SaoMai Books Standard plan cost?",
     "The Standard (Tiêu Chuẩn) plan costs 4,990,000 VND per year excluding VAT and includes 3 users {c}."),
    ("company/saomai-books-faq.md", "Bảng giá các gói dịch vụ", "Is there a free trial of SaoMai Books?",
     "Yes. Every plan can be tried free for 30 days, without a payment card {c}."),
    ("laws/luat-cu-tru.md", "20", "Where can a citizen who owns a home register permanent residence?",
     "According to Article 20 of the Law on Residence {c}, a citizen who has a lawful residence under their own ownership may register permanent residence at that residence."),
    ("laws/luat-giao-duc.md", "38", "Which levels of training does higher education provide under the Law on Education?",
     "According to Article 38 of the Law on Education {c}, higher education trains at the bachelor's, master's and doctoral levels."),
    ("laws/luat-trong-tai-thuong-mai.md", "39", "How many arbitrators sit on the tribunal if the parties have not agreed on a number?",
     "According to Article 39 of the Law on Commercial Arbitration {c}, if the parties have not agreed on the number of arbitrators, the arbitral tribunal consists of three arbitrators."),
    ("laws/hien-phap.md", "20", "Under the Constitution, can someone be arrested without a court decision?",
     "According to Article 20 of the Constitution {c}, no one may be arrested without a decision of the People's Court or a decision or approval of the People's Procuracy, except when caught red-handed."),
    ("laws/bo-luat-dan-su.md", "463", "What is a property loan contract under the Civil Code?",
     "According to Article 463 of the Civil Code {c}, it is an agreement under which the lender hands property to the borrower, who must return property of the same kind, quantity and quality when due, and pays interest only if agreed or required by law."),
]

# --------------------------------------------------------------------------- data: refusals
# Questions whose answer is in no document.  The second item names a document whose
# passages look related, so that the context is a plausible but unhelpful retrieval.

OUT_OF_CORPUS_VI = [
    ("Công ty tổ chức tiệc cuối năm vào ngày nào?", "company/phuc-loi-bao-hiem.pdf"),
    ("Công ty có căng tin phục vụ bữa trưa không?", "company/van-phong.html"),
    ("Mỗi nhân viên được chia bao nhiêu cổ phiếu ESOP?", "company/luong-thuong.md"),
    ("Làm đủ 10 năm thì có được nghỉ phép dài hạn (sabbatical) không?", "company/nghi-phep.md"),
    ("Giờ làm việc của văn phòng Singapore là mấy giờ?", "company/nghi-phep.md"),
    ("SaoMai Books có xuất báo cáo theo chuẩn IFRS không?", "company/saomai-books-faq.md"),
    ("Phí chuyển dữ liệu từ phần mềm kế toán khác sang SaoMai Books là bao nhiêu?", "company/saomai-books-faq.md"),
    ("Nhân viên nghỉ hưu được công ty trợ cấp bao nhiêu?", "company/nghi-viec-ban-giao.md"),
    ("Phòng Nhân sự hiện có bao nhiêu người?", "company/hoi-nhap-tuan-dau.md"),
    ("Công ty có hỗ trợ học phí cho con của nhân viên không?", "company/phuc-loi-bao-hiem.pdf"),
    ("Công ty có quy định trang phục khi đi làm không?", "company/quy-tac-ung-xu.md"),
    ("Công ty có hỗ trợ vé máy bay về quê dịp Tết không?", "company/cong-tac-phi.pdf"),
    ("Giá cổ phiếu của Sao Mai Tech hôm nay là bao nhiêu?", "company/saomai-books-faq.md"),
    ("Khi nào SaoMai Books ra mắt phiên bản 5.0?", "company/saomai-books-faq.md"),
    ("Công ty có câu lạc bộ bóng đá cho nhân viên không?", "company/phuc-loi-bao-hiem.pdf"),
    ("Ai là người phụ trách Phòng Pháp chế?", "company/quy-tac-ung-xu.md"),
    ("Công ty có hỗ trợ tiền thuê nhà khi nhân viên chuyển từ Hà Nội vào TP. Hồ Chí Minh làm việc không?", "company/cong-tac-phi.pdf"),
    ("Con bị ốm thì nhân viên được nghỉ mấy ngày có lương?", "company/nghi-phep.md"),
    ("Nhân viên kinh doanh có được cấp xe máy công ty không?", "company/mat-khau-thiet-bi.txt"),
    ("Theo luật, không đội mũ bảo hiểm khi đi xe máy bị phạt bao nhiêu?", "laws/luat-cu-tru.md"),
    ("Lãi suất tiết kiệm kỳ hạn 12 tháng hiện nay là bao nhiêu?", "laws/bo-luat-dan-su.md"),
    ("Đăng ký khai sinh cho con cần những giấy tờ gì?", "laws/luat-hon-nhan-va-gia-dinh.md"),
    ("Theo Bộ luật Hình sự, tội trộm cắp tài sản bị phạt tù bao lâu?", "laws/bo-luat-dan-su.md"),
    ("Thu nhập từ trúng xổ số phải nộp thuế thu nhập cá nhân bao nhiêu phần trăm?", "company/luong-thuong.md"),
    ("Muốn thi bằng lái xe hạng B thì cần điều kiện gì?", "laws/luat-giao-duc.md"),
    ("Phí bảo hiểm bắt buộc trách nhiệm dân sự của xe máy là bao nhiêu?", "company/phuc-loi-bao-hiem.pdf"),
    ("Hạn nộp tờ khai thuế giá trị gia tăng theo quý là ngày nào?", "company/saomai-books-faq.md"),
    ("Luật Doanh nghiệp quy định vốn điều lệ tối thiểu của công ty cổ phần là bao nhiêu?", "laws/luat-trong-tai-thuong-mai.md"),
    ("Người nước ngoài làm việc tại Việt Nam cần giấy phép lao động trong trường hợp nào?", "laws/luat-cu-tru.md"),
    ("Vợ sinh đôi thì lao động nam được nghỉ chế độ bảo hiểm xã hội bao nhiêu ngày?", "company/nghi-phep.md"),
]

OUT_OF_CORPUS_EN = [
    ("Does Sao Mai Tech offer stock options to engineers?", "company/luong-thuong.md"),
    ("How many vacation days do employees in the Singapore office get?", "company/nghi-phep.md"),
    ("What is the speed limit on Vietnamese expressways?", "laws/luat-du-lich.md"),
    ("Does SaoMai Books support reporting under IFRS?", "company/saomai-books-faq.md"),
    ("What is the VAT rate for software services in Vietnam?", "company/chi-phi-hoan-ung.docx"),
    ("Can employees bring their children to the office at weekends?", "company/van-phong.html"),
]

# --------------------------------------------------------------------------- data: assistant itself

META = [
    ("Bạn là ai?",
     "Dạ, tôi là Trợ lý nội bộ của Công ty Cổ phần Công nghệ Sao Mai (Sao Mai Tech). Tôi trả lời các câu hỏi về quy định, chính sách của công ty và về pháp luật Việt Nam dựa trên tài liệu được cung cấp, kèm trích dẫn nguồn."),
    ("Xin chào!",
     "Dạ, xin chào anh/chị! Tôi là Trợ lý nội bộ của Sao Mai Tech. Anh/chị cần tìm hiểu quy định nào của công ty hoặc vấn đề pháp luật nào ạ?"),
    ("Cảm ơn bạn nhé.",
     "Dạ, không có gì ạ. Nếu cần thêm thông tin, anh/chị cứ hỏi tôi nhé."),
    ("Bạn có thể giúp tôi những việc gì?",
     "Dạ, tôi có thể giải đáp câu hỏi về sổ tay nhân viên của Sao Mai Tech như nghỉ phép, lương thưởng, công tác phí, an toàn thông tin, và tra cứu các văn bản luật Việt Nam có trong bộ tài liệu. Mỗi câu trả lời đều dựa trên tài liệu và có trích dẫn nguồn."),
    ("Câu trả lời của bạn lấy từ đâu?",
     "Dạ, tôi chỉ trả lời dựa trên các đoạn tài liệu được tìm thấy cho câu hỏi của anh/chị, gồm sổ tay nội bộ của Sao Mai Tech và văn bản luật; các số trong ngoặc vuông như [1], [2] cho biết nguồn của từng thông tin. Nếu tài liệu không có thông tin, tôi sẽ nói rõ là không có."),
    ("Bạn có phải người thật không?",
     "Dạ, tôi là trợ lý ảo của Sao Mai Tech, không phải người thật. Với các trường hợp cần xử lý riêng, anh/chị vui lòng liên hệ phòng ban phụ trách."),
    ("Tạm biệt nhé.",
     "Dạ, chào anh/chị, chúc anh/chị một ngày làm việc hiệu quả!"),
    ("Bạn trả lời dài dòng quá, ngắn gọn thôi.",
     "Dạ, tôi xin lỗi. Tôi sẽ trả lời ngắn gọn, đi thẳng vào thông tin chính."),
    ("Bạn có thể tư vấn pháp lý cho vụ kiện của tôi không?",
     "Dạ, tôi chỉ cung cấp thông tin từ các văn bản luật có trong tài liệu và không thay thế tư vấn của luật sư. Với vụ việc cụ thể, anh/chị nên trao đổi với Phòng Pháp chế hoặc luật sư."),
    ("Chào buổi sáng, hôm nay bạn thế nào?",
     "Dạ, chào buổi sáng anh/chị! Tôi luôn sẵn sàng hỗ trợ. Hôm nay anh/chị cần tra cứu thông tin gì ạ?"),
    ("Bạn tên là gì?",
     "Dạ, tôi là Trợ lý nội bộ Sao Mai, trợ lý ảo hỗ trợ nhân viên Sao Mai Tech tra cứu quy định công ty và pháp luật Việt Nam."),
]
META_EN = [
    ("Who are you?",
     "I am the internal assistant of Sao Mai Technology JSC (Sao Mai Tech). I answer questions about company policies and Vietnamese laws based on the provided documents, with citations to my sources."),
    ("Can you answer in English?",
     "Yes, of course. Please ask your question in English and I will answer in English, based on the available documents."),
]

# --------------------------------------------------------------------------- data: law templates

LAW_TEMPLATES = [
    "Theo {law}, {title_lc} được quy định thế nào?",
    "Điều {n} {law} nói gì?",
    "{title} theo {law} gồm những nội dung gì?",
    "{law} quy định như thế nào về {title_lc}?",
    "Nội dung chính của Điều {n} {law} là gì?",
    "Cho tôi hỏi về {title_lc} trong {law}.",
    "Tóm tắt giúp tôi quy định về {title_lc} của {law}.",
]
LAW_TEMPLATES_UNIQUE_TITLE = ["Pháp luật quy định gì về {title_lc}?"]
LAW_TEMPLATES_NO_TITLE = [
    "Điều {n} {law} nói gì?",
    "Nội dung chính của Điều {n} {law} là gì?",
    "Điều {n} của {law} năm 2013 quy định những gì?",
]
# --------------------------------------------------------------------------- passages

@dataclass(frozen=True)
class Passage:
    """One retrievable unit: a handbook section or (a chunk of) a law article."""
    doc_id: str
    key: str      # section heading, or article number for laws
    title: str    # document title plus heading path
    text: str


def nfc(value):
    """NFC-normalise every string inside a JSON-like value."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: nfc(v) for k, v in value.items()}
    return value


def split_sections(markdown: str) -> tuple[str, list[tuple[str, str]]]:
    """Document title and its (heading, body) sections; the intro has heading ''."""
    markdown = nfc(markdown)
    title, _, rest = markdown.partition("\n")
    parts = re.split(r"^## ", rest, flags=re.M)
    sections = [("", parts[0].strip())] if parts[0].strip() else []
    for part in parts[1:]:
        heading, _, body = part.partition("\n")
        sections.append((heading.strip(), body.strip()))
    return title.removeprefix("# ").strip(), sections


def count_words(text: str) -> int:
    """Words that contain a letter or digit (table pipes and rules do not count)."""
    return sum(1 for w in text.split() if re.search(r"\w", w))


def chunk_text(text: str, max_words: int = MAX_PASSAGE_WORDS) -> list[str]:
    """Split text into chunks of at most max_words words: at paragraph boundaries, and inside a
    longer paragraph after a sentence or ';' (or between table rows)."""
    pieces = []  # (separator that precedes the piece in the text, piece)
    for para in text.split("\n\n"):
        if count_words(para) <= max_words:
            parts = [para]
            sep = "\n\n"
        elif para.startswith("|"):
            parts, sep = para.split("\n"), "\n"
        else:
            parts, sep = re.split(r"(?<=[.;])\s+", para), " "
        pieces += [("\n\n" if i == 0 else sep, part) for i, part in enumerate(parts)]
    chunks = []
    for sep, piece in pieces:
        if chunks and count_words(f"{chunks[-1]} {piece}") <= max_words:
            chunks[-1] += sep + piece
        else:
            chunks.append(piece)
    return chunks


def load_company() -> dict[str, list[Passage]]:
    """Handbook sections by doc id; non-Markdown files are read from their sources."""
    docs = {}
    for path in sorted((DOCUMENTS / "company").iterdir()):
        source = path if path.suffix == ".md" else SOURCES / f"{path.stem}.md"
        title, sections = split_sections(source.read_text(encoding="utf-8"))
        doc_id = f"company/{path.name}"
        docs[doc_id] = [Passage(doc_id, heading, f"{title} > {heading}" if heading else title, chunk)
                        for heading, body in sections for chunk in chunk_text(body)]
    return docs


def load_laws(held_out: set[tuple[str, str]]) -> tuple[dict, dict]:
    """Law article chunks by (doc_id, article) and law names by doc id, minus held-out articles."""
    articles, names = {}, {}
    for path in sorted((DOCUMENTS / "laws").glob("*.md")):
        doc_id = f"laws/{path.name}"
        law, sections = split_sections(path.read_text(encoding="utf-8"))
        names[doc_id] = law
        for heading, body in sections:
            number = re.match(r"Điều (\d+)", heading).group(1)
            if body and (doc_id, number) not in held_out:
                articles[(doc_id, number)] = [
                    Passage(doc_id, number, f"{law} > {heading}", chunk)
                    for chunk in chunk_text(body)]
    return articles, names


class Corpus:
    """All passages plus lookups and seeded distractor sampling."""

    def __init__(self, held_out: set[tuple[str, str]]):
        self.company = load_company()
        self.articles, self.law_names = load_laws(held_out)
        self.held_out = held_out
        self.company_pool = [p for doc in self.company.values() for p in doc]
        self.law_pool = [p for chunks in self.articles.values() for p in chunks]

    def section(self, doc_id: str, key: str, evidence: str) -> Passage:
        """The chunk of a handbook section or law article that best matches evidence (the answer)."""
        if (doc_id, key) in self.held_out:
            raise SystemExit(f"{doc_id} article {key} is held out for evaluation")
        if doc_id.startswith("laws/"):
            chunks = self.articles.get((doc_id, key), [])
        else:
            chunks = [p for p in self.company[doc_id] if p.key == key]
        if not chunks:
            raise SystemExit(f"no section {key!r} in {doc_id}")
        words = set(evidence.lower().split())
        return max(chunks, key=lambda p: len(words & set(p.text.lower().split())))

    def sample(self, rng: random.Random, n: int, ok, law_share: float = 0.25) -> list[Passage]:
        """n distinct passages accepted by ok(), about law_share of them from laws."""
        picked = []
        for _ in range(n):
            pool = self.law_pool if rng.random() < law_share else self.company_pool
            candidates = [p for p in pool if ok(p) and p not in picked]
            picked.append(rng.choice(candidates))
        return picked


def as_context(passages: list[Passage]) -> list[dict]:
    """The `context` field of a row."""
    return [{"doc_id": p.doc_id, "title": p.title, "text": p.text} for p in passages]


def context_row(rng: random.Random, instruction: str, answer: str, gold: Passage,
                others: list[Passage], **extra) -> dict:
    """A row whose context holds gold and others in random order; {c} cites gold."""
    passages = [gold] + [p for p in others if p != gold]
    rng.shuffle(passages)
    cite = f"[{passages.index(gold) + 1}]"
    return {"instruction": instruction, **extra, "context": as_context(passages),
            "output": answer.replace("{c}", cite)}


def refusal_row(instruction: str, passages: list[Passage], english: bool = False) -> dict:
    """A row whose context (possibly empty) does not answer the question."""
    row = {"instruction": instruction}
    if passages:
        row["context"] = as_context(passages)
    row["output"] = REFUSAL_EN if english else REFUSAL_VI
    return row


def article_title(passage: Passage) -> str:
    """'Điều kiện đăng ký thường trú' from '... > Điều 20. Điều kiện đăng ký thường trú'; '' if untitled."""
    heading = passage.title.split(" > ", 1)[1]
    return heading.split(". ", 1)[1] if ". " in heading else ""


# --------------------------------------------------------------------------- law answers

def lower_first(text: str) -> str:
    """Lower-case the first letter unless the text starts with a proper noun."""
    words = text.split()
    if (text.startswith(PROPER_STARTS) or (len(words[0]) > 1 and words[0].isupper())
            or (words[0] in INSTITUTION_WORDS and len(words) > 1 and words[1][0].isupper())):
        return text
    return text[0].lower() + text[1:]


def sentences(paragraph: str) -> list[str]:
    """Split a paragraph after full stops that are followed by an upper-case letter."""
    pieces = re.split(r"(?<=\.)\s+(?=[^\W\d_])", paragraph)
    merged = []
    for piece in pieces:
        if merged and not piece[0].isupper():
            merged[-1] += " " + piece
        else:
            merged.append(piece)
    return merged


def trim(text: str, max_words: int = MAX_ANSWER_WORDS) -> str:
    """Shorten to max_words at a clause boundary; always end with a full stop."""
    words = text.split()
    if len(words) > max_words:
        cut = " ".join(words[:max_words])
        ends = [m.end() - 1 for m in re.finditer(r";|(?<=[^\s\d])\.(?=\s)", cut)]
        if ends and ends[-1] > len(cut) * 0.4:
            text = cut[:ends[-1]]
        else:
            text = cut.rsplit(",", 1)[0] + " ..."
    text = text.rstrip(" ;:,")
    return text if text.endswith((".", "...")) else text + "."


def article_lead(body: str) -> str:
    """The first one or two sentences of an article, with the list it opens if any."""
    raw = [p.strip() for p in body.split("\n\n") if p.strip()]
    numbered = bool(re.match(r"\d+\.\s", raw[0]))
    first = re.sub(r"^\d+\.\s+", "", raw[0])
    if first.endswith(":"):
        items = []
        for para in raw[1:]:
            if numbered and re.match(r"\d+\.\s", para):
                break
            items.append(para)
        return trim(" ".join([first] + items))
    lead = sentences(first)
    text = lead[0]
    following = re.sub(r"^\d+\.\s+", "", raw[1]) if len(raw) > 1 else ""
    if len(lead) > 1 and len((text + " " + lead[1]).split()) <= 60:
        text += " " + lead[1]
    elif (len(lead) == 1 and len(text.split()) < 30 and following and not following.endswith(":")
          and len((text + " " + following).split()) <= 60):
        text += " " + following
    return trim(text)


def clause_list(body: str) -> str:
    """Numbered clauses of an article joined into one sentence: 'a; b; c.'"""
    clauses = []
    for para in body.split("\n\n"):
        match = re.match(r"^\d+\.\s+(.*)", para.strip(), flags=re.S)
        if not match:
            break
        clauses.append(lower_first(match.group(1).rstrip(" .;")))
    return trim("; ".join(clauses))


def law_answer(law: str, number: str, title: str, body: str) -> str:
    """'Theo Điều n <law> {c}, ...' built from the article's opening text."""
    lead = article_lead(body)
    if title and re.match(r"1\.\s", body) and lead.startswith(PREDICATE_STARTS) and ":" not in lead:
        return f"Theo Điều {number} {law} {{c}}, {lower_first(title)} gồm: {clause_list(body)}"
    return f"Theo Điều {number} {law} {{c}}, {lower_first(lead)}"


# --------------------------------------------------------------------------- builders

def build_handbook(corpus: Corpus, rng: random.Random) -> list[dict]:
    """Hand-written handbook Q&A, plus the rows that carry an extra `input`."""
    rows = []
    items = [(doc_id, sec, q, None, a) for doc_id, qa in HANDBOOK_QA.items() for sec, q, a in qa]
    items += INPUT_QA
    for doc_id, sec, question, user_input, answer in items:
        gold = corpus.section(doc_id, sec, answer)
        others = corpus.sample(rng, rng.choice([1, 2]), lambda p, d=doc_id: p.doc_id != d)
        extra = {"input": user_input} if user_input else {}
        rows.append(context_row(rng, question, answer, gold, others, **extra))
    return rows


def eligible_articles(corpus: Corpus) -> dict[str, list[tuple[str, str]]]:
    """Law articles usable for templated Q&A, grouped by law."""
    by_law: dict[str, list[tuple[str, str]]] = {}
    for (doc_id, number), chunks in corpus.articles.items():
        if EXCLUDED_LAW_TITLES.match(article_title(chunks[0])) or len(chunks[0].text.split()) < 15:
            continue
        if len(article_lead(chunks[0].text).split()) >= 8:
            by_law.setdefault(doc_id, []).append((doc_id, number))
    return by_law


def law_question_rows(corpus: Corpus, rng: random.Random) -> list[tuple[str, str, Passage]]:
    """(question, answer, gold) for a seeded, sqrt-stratified sample of articles."""
    by_law = eligible_articles(corpus)
    weights = {doc: math.sqrt(len(arts)) for doc, arts in by_law.items()}
    titles = [article_title(corpus.articles[a][0]) for arts in by_law.values() for a in arts]
    out = []
    for doc_id in sorted(by_law):
        quota = round(LAW_ARTICLES * weights[doc_id] / sum(weights.values()))
        for key in sorted(rng.sample(by_law[doc_id], min(quota, len(by_law[doc_id]))),
                          key=lambda a: int(a[1])):
            gold = corpus.articles[key][0]
            law, number, title = corpus.law_names[doc_id], key[1], article_title(gold)
            if title:
                templates = LAW_TEMPLATES + (LAW_TEMPLATES_UNIQUE_TITLE if titles.count(title) == 1 else [])
            else:
                templates = LAW_TEMPLATES_NO_TITLE
            chosen = rng.sample(templates, 2 if rng.random() < SECOND_TEMPLATE_SHARE else 1)
            answer = law_answer(law, number, title, gold.text)
            for template in chosen:
                question = template.format(law=law, n=number, title=title, title_lc=lower_first(title) if title else "")
                out.append((question[0].upper() + question[1:], answer, gold))
    return out


def build_laws(corpus: Corpus, rng: random.Random, law_qs: list) -> list[dict]:
    """Templated law Q&A with distractors from the same law, other laws and the handbook."""
    rows = []
    for question, answer, gold in law_qs:
        others = corpus.sample(rng, rng.choice([1, 2]),
                               lambda p, g=gold: (p.doc_id, p.key) != (g.doc_id, g.key), law_share=0.6)
        rows.append(context_row(rng, question, answer, gold, others))
    return rows


def build_refusals(corpus: Corpus, rng: random.Random, law_qs: list) -> tuple[list[dict], list[dict]]:
    """Refusals with unrelated context, and company questions asked with no context."""
    def company_ok(doc_id):
        allowed = SAFE_FOR_MISC if doc_id in MISC_DOCS else MISC_DOCS
        return lambda p: p.doc_id.startswith("laws/") or p.doc_id in allowed

    handbook = [(d, q) for d, qa in HANDBOOK_QA.items() if d not in NO_REFUSAL_DOCS for _, q, _ in qa]
    with_context = []
    for doc_id, question in rng.sample(handbook, 30):
        with_context.append(refusal_row(question, corpus.sample(rng, rng.choice([2, 3]), company_ok(doc_id))))
    for question, _, gold in rng.sample(law_qs, 20):
        passages = corpus.sample(rng, rng.choice([2, 3]), lambda p, g=gold: p.doc_id != g.doc_id, law_share=0.5)
        with_context.append(refusal_row(question, passages))
    for question, hint in OUT_OF_CORPUS_VI:
        with_context.append(refusal_row(question, hinted_context(corpus, rng, hint)))

    all_handbook = [q for qa in HANDBOOK_QA.values() for _, q, _ in qa]
    no_context = [refusal_row(q, []) for q in rng.sample(all_handbook, 16)]
    return with_context, no_context


def hinted_context(corpus: Corpus, rng: random.Random, hint: str) -> list[Passage]:
    """One passage from the hinted document plus one or two random ones."""
    pool = corpus.law_pool if hint.startswith("laws/") else corpus.company_pool
    first = rng.choice([p for p in pool if p.doc_id == hint])
    return [first] + corpus.sample(rng, rng.choice([1, 2]), lambda p: p != first, law_share=0.3)


def build_multi_turn(corpus: Corpus, rng: random.Random) -> list[dict]:
    """Follow-up questions whose earlier turns are given as history."""
    rows = []
    for chain in CHAINS:
        history = []
        for _, _, question, answer in chain[:-1]:
            history += [{"role": "user", "content": question},
                        {"role": "assistant", "content": answer.replace(" {c}", "")}]
        doc_id, key, question, answer = chain[-1]
        gold = corpus.section(doc_id, key, answer)
        earlier = [corpus.section(d, k, a) for d, k, _, a in chain[:-1]]
        others = list(dict.fromkeys(p for p in earlier if p != gold))[:2]
        others += corpus.sample(rng, max(0, rng.choice([2, 3]) - 1 - len(others)),
                                lambda p, d=doc_id: p.doc_id != d)
        rows.append(context_row(rng, question, answer, gold, others, history=history))
    return rows


def build_english(corpus: Corpus, rng: random.Random) -> list[dict]:
    """English questions: grounded answers, plus refusals with unrelated context."""
    rows = []
    for doc_id, key, question, answer in ENGLISH_QA:
        gold = corpus.section(doc_id, key, answer)
        others = corpus.sample(rng, rng.choice([1, 2]), lambda p, d=doc_id: p.doc_id != d)
        rows.append(context_row(rng, question, answer, gold, others))
    for question, hint in OUT_OF_CORPUS_EN:
        rows.append(refusal_row(question, hinted_context(corpus, rng, hint), english=True))
    for doc_id, _, question, _ in rng.sample([e for e in ENGLISH_QA if e[0].startswith("company/")
                                              and e[0] not in NO_REFUSAL_DOCS], 3):
        allowed = SAFE_FOR_MISC if doc_id in MISC_DOCS else MISC_DOCS
        passages = corpus.sample(rng, 2, lambda p, a=allowed: p.doc_id.startswith("laws/") or p.doc_id in a)
        rows.append(refusal_row(question, passages, english=True))
    return rows


# --------------------------------------------------------------------------- overlap check

def trigrams(text: str) -> set[str]:
    """Character trigrams of the lower-cased, whitespace-normalised text."""
    text = " ".join(nfc(text).lower().split())
    return {text[i:i + 3] for i in range(len(text) - 2)}


def max_overlap(eval_path: Path, rows: list[dict]) -> tuple[float, str, str]:
    """Highest trigram Jaccard similarity between an eval question and a train user turn."""
    train = {row["instruction"] for row in rows}
    train |= {turn["content"] for row in rows for turn in row.get("history", []) if turn["role"] == "user"}
    train_grams = [(t, trigrams(t)) for t in sorted(train)]
    best = (0.0, "", "")
    for line in eval_path.read_text(encoding="utf-8").splitlines():
        question = json.loads(line)["question"]
        grams = trigrams(question)
        for text, other in train_grams:
            score = len(grams & other) / len(grams | other)
            if score > best[0]:
                best = (score, question, text)
    return best


# --------------------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(CORPORA / "instructions" / "train.jsonl"))
    parser.add_argument("--held-out", default=str(CORPORA / "eval" / "held_out_articles.json"))
    parser.add_argument("--eval", default=str(CORPORA / "eval" / "questions.jsonl"))
    args = parser.parse_args()

    held = json.loads(Path(args.held_out).read_text(encoding="utf-8"))
    corpus = Corpus({(item["doc_id"], item["article"]) for item in held})
    rng = random.Random(SEED)
    law_qs = law_question_rows(corpus, rng)
    refusal_context, refusal_no_context = build_refusals(corpus, rng, law_qs)
    categories = {
        "handbook_qa": build_handbook(corpus, rng),
        "law_qa": build_laws(corpus, rng, law_qs),
        "refusal_context": refusal_context,
        "refusal_no_context": refusal_no_context,
        "multi_turn": build_multi_turn(corpus, rng),
        "english": build_english(corpus, rng),
        "meta": [{"instruction": q, "output": a} for q, a in META + META_EN],
    }
    rows = [nfc(row) for cat_rows in categories.values() for row in cat_rows]
    rng.shuffle(rows)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")

    total = len(rows)
    print(f"wrote {total} rows to {out}")
    for name, cat_rows in categories.items():
        print(f"  {name:<19} {len(cat_rows):4d}  {100 * len(cat_rows) / total:5.1f}%")
    refusals = sum(row["output"] in (REFUSAL_VI, REFUSAL_EN) for row in rows)
    english = len(categories["english"]) + len(META_EN)
    print(f"  refusal outputs     {refusals:4d}  {100 * refusals / total:5.1f}%")
    print(f"  English rows        {english:4d}  {100 * english / total:5.1f}%")

    score, question, text = max_overlap(Path(args.eval), rows)
    print(f"max eval/train trigram Jaccard: {score:.3f} ({question!r} ~ {text!r})")
    if score >= MAX_OVERLAP:
        raise SystemExit("an eval question is too similar to a training instruction")


if __name__ == "__main__":
    main()
