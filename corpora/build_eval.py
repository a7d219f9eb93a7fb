"""Write the held-out evaluation set corpora/eval/questions.jsonl.

All questions and reference answers are hand-written below.  They ask about
facts that the training builder (build_instructions.py) never asks about:

* handbook questions use facts that no training row asks for;
* law questions use articles listed in corpora/eval/held_out_articles.json,
  which this script writes and build_instructions.py excludes from training;
* unanswerable questions are plausible but their facts appear in no document,
  so the reference is the fixed refusal phrase.

Each output row: {"question", "reference", "sources", "answerable"}.
"""

import argparse
import json
from pathlib import Path

from ragtune.prompt import nfc

CORPORA = Path(__file__).resolve().parent
DOCUMENTS = CORPORA / "documents"

REFUSAL_VI = "Xin lỗi, tài liệu hiện có không chứa thông tin để trả lời câu hỏi này."
REFUSAL_EN = "Sorry, the available documents do not contain the information needed to answer this question."

# (doc_id, question, reference)
HANDBOOK = [
    ("company/nghi-phep.md", "Nếu tôi đến công ty sau 9:30 nhiều lần trong tháng thì có bị sao không?",
     "Dạ, theo Quy định thời giờ làm việc và nghỉ phép, người đến sau 9:30 quá 4 lần trong một tháng sẽ nhận thư nhắc nhở bằng văn bản từ Phòng Nhân sự."),
    ("company/nghi-phep.md", "Cuối năm còn dư ngày phép thì có mang sang năm mới được không?",
     "Dạ, phép chưa dùng được chuyển sang năm sau tối đa 5 ngày và phải dùng trước ngày 31/3 năm sau; quá hạn thì bị hủy, không được thanh toán bằng tiền."),
    ("company/nghi-phep.md", "Quản lý để đơn nghỉ của tôi quá 2 ngày làm việc mà chưa duyệt thì đơn đi đâu?",
     "Dạ, quá 2 ngày làm việc mà quản lý trực tiếp chưa duyệt, hệ thống tự chuyển đơn lên cấp quản lý kế tiếp."),
    ("company/nghi-phep.md", "Khi chuyển chỗ ở, nhân viên có được nghỉ hưởng lương không?",
     "Dạ có, nhân viên được nghỉ 1 ngày hưởng nguyên lương mỗi năm khi chuyển nhà."),
    ("company/lam-them-gio.md", "Làm thêm xong, tôi phải xác nhận số giờ thực tế trong thời hạn nào?",
     "Dạ, sau khi làm thêm, nhân viên xác nhận số giờ thực tế trên phiếu NS-02 trong vòng 2 ngày làm việc."),
    ("company/lam-them-gio.md", "Muốn đổi ca trực với đồng nghiệp thì báo ai, trước bao lâu?",
     "Dạ, hai người tự thỏa thuận và báo Trưởng nhóm Vận hành trước ít nhất 48 giờ."),
    ("company/lam-them-gio.md", "Giờ nghỉ bù để quá lâu không dùng thì có mất không?",
     "Dạ không mất, giờ nghỉ bù phải dùng trong vòng 60 ngày; quá hạn, số giờ còn lại được tự động thanh toán bằng tiền."),
    ("company/lam-them-gio.md", "Thời gian xử lý sự cố thực tế trong ca trực được ghi nhận bằng công cụ gì?",
     "Dạ, thời gian xử lý sự cố được ghi nhận trên PagerDuty và được tính là làm thêm giờ, ngoài phụ cấp trực."),
    ("company/chi-phi-hoan-ung.docx", "Một khoản chi 45 triệu đồng cần cấp nào phê duyệt?",
     "Dạ, khoản chi từ 20.000.000 đến dưới 100.000.000 đồng do Giám đốc Tài chính phê duyệt."),
    ("company/chi-phi-hoan-ung.docx", "Tôi làm mất hóa đơn của một khoản đã chi thì có cách nào được thanh toán không?",
     "Dạ, nhân viên lập Giấy giải trình mất chứng từ (mẫu TC-05) có xác nhận của quản lý; mỗi người dùng tối đa 2 lần mỗi năm, mỗi lần không quá 1.000.000 đồng."),
    ("company/chi-phi-hoan-ung.docx", "Kế toán nhận chứng từ giấy vào khung giờ nào?",
     "Dạ, Phòng Tài chính – Kế toán nhận chứng từ giấy từ 9:00–11:30 và 14:00–16:30 các ngày làm việc."),
    ("company/chi-phi-hoan-ung.docx", "Tiền tạm ứng để quá 30 ngày mà chưa quyết toán thì sao?",
     "Dạ, khoản tạm ứng quá 30 ngày chưa quyết toán sẽ bị khấu trừ vào kỳ lương gần nhất."),
    ("company/cong-tac-phi.pdf", "Dùng xe máy riêng đi công tác thì được thanh toán theo cách nào?",
     "Dạ, khi được Giám đốc khối đồng ý, xe máy cá nhân được thanh toán 2.000 đồng/km theo quãng đường thực tế trên bản đồ số, đã gồm xăng, phí cầu đường và hao mòn."),
    ("company/cong-tac-phi.pdf", "Đi công tác mà ở nhờ nhà họ hàng thì công ty có hỗ trợ không?",
     "Dạ có, nếu ở nhà người thân thay vì khách sạn, công ty hỗ trợ 200.000 đồng mỗi đêm."),
    ("company/cong-tac-phi.pdf", "Sang Singapore làm việc với đối tác thì mỗi ngày tôi được khoán bao nhiêu tiền cho ăn uống, đi lại?",
     "Dạ, công tác nước ngoài khu vực Đông Nam Á, nhân viên được phụ cấp lưu trú 50 USD/ngày (cấp quản lý 70 USD/ngày)."),
    ("company/cong-tac-phi.pdf", "Điểm tích lũy hãng bay từ chuyến công tác thuộc về ai?",
     "Dạ, nhân viên được giữ điểm thưởng cho cá nhân, nhưng không được chọn chuyến bay hoặc khách sạn đắt hơn chỉ để tích điểm."),
    ("company/an-toan-thong-tin.md", "Mật khẩu mạng Wi-Fi cho khách được đổi khi nào và xem ở đâu?",
     "Dạ, mật khẩu mạng SaoMai-Guest được đổi vào thứ Hai hằng tuần và niêm yết tại quầy lễ tân."),
    ("company/an-toan-thong-tin.md", "Tôi cần chép dữ liệu ra USB thì xin phép thế nào?",
     "Dạ, cổng USB lưu trữ bị chặn mặc định; nhân viên xin mở quyền tạm thời tối đa 7 ngày qua mẫu IT-02."),
    ("company/an-toan-thong-tin.md", "Nội dung nhập vào SaoMai AI Hub có bị bên thứ ba dùng để huấn luyện mô hình không?",
     "Dạ không, dữ liệu nhập vào SaoMai AI Hub được lưu trong hạ tầng của công ty và không dùng để huấn luyện mô hình của bên thứ ba."),
    ("company/an-toan-thong-tin.md", "Định kỳ bao lâu quản lý phải rà soát quyền truy cập của nhân viên mình?",
     "Dạ, quản lý rà soát danh sách quyền mỗi quý một lần, chậm nhất vào ngày 15 của tháng đầu quý."),
    ("company/mat-khau-thiet-bi.txt", "Bộ phận sales dùng laptop hãng nào, cấu hình ra sao?",
     "Dạ, nhân viên kinh doanh, chăm sóc khách hàng và khối văn phòng được cấp Dell Latitude 5440, RAM 16 GB."),
    ("company/mat-khau-thiet-bi.txt", "Nghỉ việc rồi thì dữ liệu trên điện thoại riêng của tôi có bị xóa không?",
     "Dạ, chỉ dữ liệu công ty trên điện thoại cá nhân bị xóa từ xa; dữ liệu cá nhân không bị ảnh hưởng."),
    ("company/mat-khau-thiet-bi.txt", "Gửi yêu cầu IT thông thường thì bao lâu được phản hồi?",
     "Dạ, yêu cầu thông thường được phản hồi trong 4 giờ làm việc; yêu cầu mức độ cao (không làm việc được) được phản hồi trong 30 phút."),
    ("company/mat-khau-thiet-bi.txt", "Máy đang mang đi sửa thì bao lâu tôi có máy thay thế?",
     "Dạ, trong thời gian sửa chữa, IT cấp máy dự phòng trong vòng 24 giờ làm việc."),
    ("company/hoi-nhap-tuan-dau.md", "Giấy khám sức khỏe nộp lúc nhận việc được cấp cách đây tối đa bao lâu?",
     "Dạ, giấy khám sức khỏe phải do cơ sở y tế cấp trong vòng 6 tháng."),
    ("company/hoi-nhap-tuan-dau.md", "Làm buddy cho người mới thì có được trả tiền không?",
     "Dạ có, người đồng hành nhận phụ cấp 1.000.000 đồng cho mỗi nhân viên mới, trả sau khi nhân viên mới hoàn thành thử việc."),
    ("company/hoi-nhap-tuan-dau.md", "Chương trình Cà phê cùng CEO tổ chức vào lúc nào?",
     "Dạ, \"Cà phê cùng CEO\" diễn ra lúc 9:00 sáng thứ Sáu cuối cùng của mỗi tháng, dành cho nhân viên mới vào làm trong tháng đó."),
    ("company/hoi-nhap-tuan-dau.md", "Hồ sơ nhân sự còn thiếu giấy tờ thì hạn bổ sung là bao lâu?",
     "Dạ, hồ sơ cá nhân còn thiếu phải được bổ sung trong vòng 15 ngày kể từ ngày nhận việc."),
    ("company/thu-viec-hop-dong.docx", "Quay lại làm đúng vị trí cũ sau khi nghỉ việc thì có phải thử việc lại không?",
     "Dạ, người được tuyển lại vào đúng vị trí cũ trong vòng 24 tháng kể từ ngày nghỉ việc được miễn thử việc."),
    ("company/thu-viec-hop-dong.docx", "Giám đốc khối có thể ký hợp đồng lần đầu dài bao lâu?",
     "Dạ, với cấp Giám đốc khối trở lên, hợp đồng đầu tiên có thể ký ngay 36 tháng theo quyết định của Tổng Giám đốc."),
    ("company/thu-viec-hop-dong.docx", "Tôi cần bản hợp đồng giấy có đóng dấu thì xin ở đâu?",
     "Dạ, nhân viên gửi yêu cầu tới nhansu@saomaitech.vn và nhận bản giấy có đóng dấu tại Phòng Nhân sự trong vòng 3 ngày làm việc."),
    ("company/thu-viec-hop-dong.docx", "Chấm dứt thử việc giữa chừng thì lương những ngày đã làm được trả khi nào?",
     "Dạ, tiền lương những ngày đã làm được thanh toán trong kỳ lương kế tiếp."),
    ("company/luong-thuong.md", "Đổi số tài khoản nhận lương thì phải cập nhật trước ngày mấy?",
     "Dạ, thay đổi tài khoản nhận lương phải được cập nhật trên SaoMai People trước ngày 25 để áp dụng cho kỳ lương gần nhất."),
    ("company/luong-thuong.md", "Hồ sơ đăng ký người phụ thuộc cần nộp trước ngày nào để áp dụng ngay?",
     "Dạ, nhân viên nộp tờ khai và giấy tờ chứng minh cho Phòng Nhân sự trước ngày 20 để được giảm trừ gia cảnh ngay trong tháng."),
    ("company/luong-thuong.md", "Hôm nghỉ phép thì phụ cấp ăn trưa có bị trừ không?",
     "Dạ có, phụ cấp ăn trưa tính 40.000 đồng mỗi ngày làm việc thực tế và ngày nghỉ phép năm vẫn được tính."),
    ("company/luong-thuong.md", "Gửi đơn tạm ứng lương rồi thì mấy ngày tiền về tài khoản?",
     "Dạ, tiền tạm ứng lương được chuyển trong vòng 3 ngày làm việc và được trừ vào kỳ lương của tháng đó."),
    ("company/phuc-loi-bao-hiem.pdf", "Gói Sao Mai Care chi trả bao nhiêu nếu nhân viên tử vong do tai nạn?",
     "Dạ, quyền lợi tử vong, thương tật toàn bộ vĩnh viễn do tai nạn của Sao Mai Care là 500.000.000 đồng mỗi năm."),
    ("company/phuc-loi-bao-hiem.pdf", "Hai vợ chồng cùng làm ở công ty thì trợ cấp hiếu hỷ được tính thế nào?",
     "Dạ, trường hợp cả vợ và chồng cùng làm tại công ty, mỗi người đều được nhận trợ cấp."),
    ("company/phuc-loi-bao-hiem.pdf", "Con tôi 4 tuổi đi du lịch cùng công ty thì có mất phí không?",
     "Dạ không, trẻ em dưới 5 tuổi đi cùng chuyến du lịch hằng năm được miễn phí."),
    ("company/phuc-loi-bao-hiem.pdf", "Hồ sơ bồi thường bảo hiểm đầy đủ được xử lý trong bao lâu?",
     "Dạ, hồ sơ bồi thường đầy đủ được giải quyết trong 15 ngày làm việc."),
    ("company/kham-suc-khoe.txt", "Mỗi khung giờ khám sức khỏe nhận tối đa bao nhiêu người?",
     "Dạ, mỗi khung 30 phút nhận tối đa 25 người."),
    ("company/kham-suc-khoe.txt", "Is breakfast provided after the blood test at the health check?",
     "Yes. According to the 2026 health check notice, the clinic serves a free light breakfast after the blood test."),
    ("company/kham-suc-khoe.txt", "Kết quả khám có chỉ số bất thường thì tôi được hỗ trợ gì?",
     "Dạ, nhân viên có chỉ số bất thường được bác sĩ của phòng khám tư vấn miễn phí qua điện thoại một lần."),
    ("company/kham-suc-khoe.txt", "Đang mang bầu thì khi đi khám sức khỏe cần lưu ý gì?",
     "Dạ, nhân viên nữ đang mang thai báo cho bác sĩ để không chụp X-quang."),
    ("company/quy-tac-ung-xu.md", "Giá trị quà công ty tặng khách hàng được phép tối đa bao nhiêu?",
     "Dạ, quà tặng cho khách hàng, đối tác không vượt quá 1.000.000 đồng mỗi người mỗi lần, trừ quà Tết theo danh sách Ban Giám đốc duyệt."),
    ("company/quy-tac-ung-xu.md", "Đối tác mời tôi dự sự kiện và chi trả khách sạn, máy bay thì có đi được không?",
     "Dạ, lời mời có chi phí đi lại, lưu trú do đối tác chi trả phải được Giám đốc khối phê duyệt trước."),
    ("company/quy-tac-ung-xu.md", "Dùng máy tính công ty để gọi điện hay đọc email cá nhân một chút có bị cấm không?",
     "Dạ không bị cấm, việc sử dụng cá nhân ở mức hợp lý được chấp nhận nếu không ảnh hưởng tới công việc và an toàn thông tin."),
    ("company/quy-tac-ung-xu.md", "Nhân viên vừa gia nhập cần ký cam kết tuân thủ quy tắc ứng xử trong thời hạn nào?",
     "Dạ, nhân viên mới xác nhận cam kết với Bộ quy tắc ứng xử trong tuần làm việc đầu tiên."),
    ("company/remote-work-policy.md", "Làm việc từ xa khi đang ở nước ngoài được phép tối đa mấy ngày?",
     "Dạ, làm việc từ xa ngoài lãnh thổ Việt Nam tối đa 14 ngày mỗi năm, cần Giám đốc khối và Ban An toàn thông tin phê duyệt trước, gửi trước ít nhất 10 ngày làm việc."),
    ("company/remote-work-policy.md", "Bị ngã khi đang làm việc ở nhà thì có được coi là tai nạn lao động không?",
     "Dạ có, tai nạn xảy ra tại địa chỉ làm việc từ xa đã đăng ký trong giờ làm việc được coi là tai nạn lao động; nhân viên phải báo Phòng Nhân sự trong vòng 24 giờ."),
    ("company/remote-work-policy.md", "For how long can my manager suspend my remote work arrangement?",
     "According to the Remote Work Policy, a manager may suspend it for up to 3 months, informing the employee and HR in writing with the reason."),
    ("company/ngan-sach-dao-tao.md", "Tôi muốn mua vài cuốn sách chuyên ngành, công ty có chi trả không?",
     "Dạ được, sách chuyên môn được chi từ ngân sách đào tạo, tối đa 1.000.000 đồng mỗi năm."),
    ("company/ngan-sach-dao-tao.md", "Thi trượt chứng chỉ hai lần thì lần thi thứ ba công ty có trả phí không?",
     "Dạ không, công ty hỗ trợ 100% lần thi đầu và 50% lần thi lại thứ nhất; từ lần thi lại thứ hai nhân viên tự chi trả."),
    ("company/ngan-sach-dao-tao.md", "Học phí lớp tiếng Anh giao tiếp nội bộ được chia như thế nào?",
     "Dạ, công ty trả 70% học phí, nhân viên trả 30% và được hoàn lại phần này nếu tham dự từ 90% số buổi trở lên."),
    ("company/ngan-sach-dao-tao.md", "Người trình bày tại Sao Mai Academy được thù lao bao nhiêu?",
     "Dạ, người trình bày nhận thù lao 1.000.000 đồng mỗi buổi."),
    ("company/danh-gia-hieu-suat.md", "Tôi quên làm bản tự đánh giá cuối năm thì kết quả tính ra sao?",
     "Dạ, nhân viên không tự đánh giá đúng hạn sẽ nhận kết quả dựa hoàn toàn trên đánh giá của quản lý."),
    ("company/danh-gia-hieu-suat.md", "Đợt đánh giá cuối năm lấy ý kiến của mấy đồng nghiệp?",
     "Dạ, lấy ý kiến của 3 đồng nghiệp do nhân viên đề cử, từ ngày 01/12 đến ngày 15/12."),
    ("company/danh-gia-hieu-suat.md", "Được thăng chức trong năm thì có được tăng lương thêm không?",
     "Dạ có, nhân viên được thăng chức trong năm có thể được tăng thêm tối đa 20% theo quyết định của Giám đốc khối."),
    ("company/danh-gia-hieu-suat.md", "Nghỉ thai sản hơn nửa năm thì xếp loại hiệu suất năm đó thế nào?",
     "Dạ, nhân viên nghỉ thai sản trên 6 tháng trong năm được giữ mức xếp loại của năm trước."),
    ("company/nghi-viec-ban-giao.md", "Nộp đơn thôi việc rồi tôi đổi ý thì có rút lại được không?",
     "Dạ được, nhân viên có thể rút đơn khi chưa hết thời hạn báo trước nếu quản lý đồng ý."),
    ("company/nghi-viec-ban-giao.md", "Ngày làm việc cuối cùng có thể là một ngày nghỉ phép không?",
     "Dạ không, ngày làm việc cuối cùng không được là ngày nghỉ phép."),
    ("company/nghi-viec-ban-giao.md", "Hộp thư của người đã nghỉ việc được xử lý thế nào?",
     "Dạ, email gửi tới địa chỉ cũ được chuyển tiếp cho quản lý trực tiếp trong 30 ngày, sau đó hộp thư được lưu trữ và xóa khỏi hệ thống sau 12 tháng."),
    ("company/nghi-viec-ban-giao.md", "Quản lý có được đọc biên bản phỏng vấn thôi việc của tôi không?",
     "Dạ không, nội dung phỏng vấn thôi việc được bảo mật và quản lý trực tiếp không được xem biên bản chi tiết."),
    ("company/van-phong.html", "Ở Hà Nội, phòng họp nào đủ chỗ cho 20 người?",
     "Dạ, phòng Sao Mộc ở tầng 10 văn phòng Hà Nội có sức chứa 20 người, có máy chiếu và camera hội nghị."),
    ("company/van-phong.html", "Gửi ô tô theo tháng ở văn phòng TP. Hồ Chí Minh hết bao nhiêu?",
     "Dạ, ô tô gửi tại tầng hầm B2 văn phòng TP. Hồ Chí Minh với giá 1.800.000 đồng/tháng, công ty hỗ trợ 50%."),
    ("company/van-phong.html", "Văn phòng phẩm được phát vào thời điểm nào?",
     "Dạ, văn phòng phẩm được cấp phát vào sáng thứ Hai tại quầy Hành chính."),
    ("company/van-phong.html", "Khách của tôi có được lên khu vực tầng 10 không?",
     "Dạ, khách không được vào khu vực tầng 10 khi không có sự đồng ý của Trưởng nhóm Hạ tầng."),
    ("company/saomai-books-faq.md", "Khách mua SaoMai Books gói 3 năm có được ưu đãi gì không?",
     "Dạ có, khách hàng mua gói 3 năm được giảm 20% tổng giá trị."),
    ("company/saomai-books-faq.md", "Vào mùa quyết toán thuế, giờ hỗ trợ khách hàng có thay đổi không?",
     "Dạ có, trong 10 ngày cuối tháng 3, giờ hỗ trợ kéo dài đến 22:00 và có hỗ trợ cả Chủ nhật."),
    ("company/saomai-books-faq.md", "Khách muốn đòi bù phí do hệ thống không đạt cam kết thì phải gửi yêu cầu trong bao lâu?",
     "Dạ, khách hàng gửi yêu cầu bù phí trong vòng 30 ngày kể từ cuối tháng xảy ra sự cố."),
    ("company/saomai-books-faq.md", "Câu hỏi về SaoMai Books không có trong tài liệu FAQ thì hỏi ai?",
     "Dạ, nhân viên chuyển câu hỏi tới kênh Teams \"SaoMai Books – Hỏi đáp\" để nhóm Sản phẩm trả lời trong 1 ngày làm việc."),
]

# (law file stem, article, question, reference)
LAWS = [
    ("luat-cu-tru", "27", "Đăng ký tạm trú một lần thì được ở trong bao lâu, có gia hạn được không?",
     "Theo Điều 27 Luật Cư trú, thời hạn tạm trú tối đa là 02 năm và có thể tiếp tục gia hạn nhiều lần."),
    ("luat-cu-tru", "30", "Khách đến nhà ở lại qua đêm thì phải thông báo lưu trú trước mấy giờ?",
     "Theo Điều 30 Luật Cư trú, thông báo lưu trú được thực hiện trước 23 giờ của ngày bắt đầu lưu trú; nếu người đến lưu trú sau 23 giờ thì thông báo trước 08 giờ ngày hôm sau."),
    ("luat-cu-tru", "22", "Nộp đủ hồ sơ đăng ký thường trú thì cơ quan công an giải quyết trong bao nhiêu ngày?",
     "Theo Điều 22 Luật Cư trú, trong thời hạn 07 ngày làm việc kể từ ngày nhận được hồ sơ đầy đủ và hợp lệ, cơ quan đăng ký cư trú phải thẩm định, cập nhật thông tin và thông báo cho người đăng ký."),
    ("luat-cu-tru", "31", "Người bình thường đi khỏi nơi thường trú bao lâu thì phải khai báo tạm vắng?",
     "Theo Điều 31 Luật Cư trú, người đi khỏi phạm vi đơn vị hành chính cấp xã nơi thường trú từ 12 tháng liên tục trở lên phải khai báo tạm vắng, trừ trường hợp đã đăng ký tạm trú tại nơi ở mới hoặc đã xuất cảnh."),
    ("luat-thanh-nien", "1", "Under the Law on Youth, what age range counts as youth?",
     "According to Article 1 of the Law on Youth, youth are Vietnamese citizens aged from full 16 to 30 years old."),
    ("luat-thanh-nien", "9", "Tháng Thanh niên là tháng mấy trong năm?",
     "Theo Điều 9 Luật Thanh niên, tháng 3 hằng năm là Tháng Thanh niên."),
    ("luat-thanh-nien", "41", "Luật Thanh niên hiện hành bắt đầu có hiệu lực từ ngày nào?",
     "Theo Điều 41 Luật Thanh niên, luật có hiệu lực thi hành từ ngày 01 tháng 01 năm 2021."),
    ("luat-tiep-can-thong-tin", "12", "Xin thông tin từ cơ quan nhà nước thì người dân có mất phí, lệ phí không?",
     "Theo Điều 12 Luật Tiếp cận thông tin, công dân được cung cấp thông tin không phải trả phí, lệ phí, trừ trường hợp luật khác có quy định; người yêu cầu phải trả chi phí thực tế để in, sao, chụp, gửi thông tin."),
    ("luat-tiep-can-thong-tin", "6", "Người dân có quyền đề nghị được xem tài liệu mật của Nhà nước không?",
     "Theo Điều 6 Luật Tiếp cận thông tin, thông tin thuộc bí mật nhà nước là thông tin công dân không được tiếp cận; khi được giải mật thì công dân được tiếp cận theo quy định."),
    ("luat-an-ninh-mang", "43", "Quy định của Luật An ninh mạng bắt đầu được áp dụng từ khi nào?",
     "Theo Điều 43 Luật An ninh mạng, luật có hiệu lực thi hành từ ngày 01 tháng 01 năm 2019."),
    ("luat-an-ninh-mang", "2", "An ninh mạng được định nghĩa như thế nào?",
     "Theo Điều 2 Luật An ninh mạng, an ninh mạng là sự bảo đảm hoạt động trên không gian mạng không gây phương hại đến an ninh quốc gia, trật tự, an toàn xã hội, quyền và lợi ích hợp pháp của cơ quan, tổ chức, cá nhân."),
    ("luat-dien-anh", "32", "Phim dán nhãn loại K thì trẻ em xem được không?",
     "Theo Điều 32 Luật Điện ảnh, phim loại K được phổ biến đến người xem dưới 13 tuổi với điều kiện xem cùng cha, mẹ hoặc người giám hộ."),
    ("luat-dien-anh", "49", "Luật Điện ảnh mới có hiệu lực từ khi nào?",
     "Theo Điều 49 Luật Điện ảnh, luật có hiệu lực thi hành từ ngày 01 tháng 01 năm 2023."),
    ("luat-vien-chuc", "27", "Thời gian tập sự của viên chức kéo dài bao lâu?",
     "Theo Điều 27 Luật Viên chức, thời gian tập sự từ 03 tháng đến 12 tháng và phải được quy định trong hợp đồng làm việc."),
    ("luat-vien-chuc", "53", "Viên chức vi phạm đã lâu thì sau bao nhiêu tháng không còn bị xem xét kỷ luật?",
     "Theo Điều 53 Luật Viên chức, thời hiệu xử lý kỷ luật là 24 tháng, kể từ thời điểm có hành vi vi phạm."),
    ("luat-vien-chuc", "13", "Viên chức công tác ở vùng sâu, vùng xa có được gộp ngày nghỉ phép không?",
     "Theo Điều 13 Luật Viên chức, viên chức làm việc ở miền núi, biên giới, hải đảo, vùng sâu, vùng xa nếu có yêu cầu được gộp số ngày nghỉ phép của 02 năm để nghỉ một lần; gộp 03 năm thì phải được người đứng đầu đơn vị đồng ý."),
    ("luat-vien-chuc", "29", "Viên chức bị đánh giá không hoàn thành nhiệm vụ mấy năm liền thì có thể bị chấm dứt hợp đồng?",
     "Theo Điều 29 Luật Viên chức, đơn vị sự nghiệp công lập được đơn phương chấm dứt hợp đồng khi viên chức có 02 năm liên tiếp bị phân loại đánh giá ở mức không hoàn thành nhiệm vụ."),
    ("luat-vien-chuc", "45", "Viên chức bị buộc thôi việc có được nhận trợ cấp thôi việc không?",
     "Theo Điều 45 Luật Viên chức, viên chức bị buộc thôi việc không được hưởng trợ cấp thôi việc."),
    ("luat-hon-nhan-va-gia-dinh", "8", "Nam và nữ phải bao nhiêu tuổi mới được kết hôn?",
     "Theo Điều 8 Luật Hôn nhân và gia đình, nam phải từ đủ 20 tuổi trở lên, nữ từ đủ 18 tuổi trở lên."),
    ("luat-hon-nhan-va-gia-dinh", "51", "Người chồng có được yêu cầu ly hôn khi vợ đang mang thai không?",
     "Theo Điều 51 Luật Hôn nhân và gia đình, chồng không có quyền yêu cầu ly hôn trong trường hợp vợ đang có thai, sinh con hoặc đang nuôi con dưới 12 tháng tuổi."),
    ("luat-hon-nhan-va-gia-dinh", "81", "Sau ly hôn, con nhỏ dưới 3 tuổi thường được giao cho ai nuôi?",
     "Theo Điều 81 Luật Hôn nhân và gia đình, con dưới 36 tháng tuổi được giao cho mẹ trực tiếp nuôi, trừ trường hợp người mẹ không đủ điều kiện hoặc cha mẹ có thỏa thuận khác phù hợp với lợi ích của con."),
    ("luat-hon-nhan-va-gia-dinh", "95", "Người mang thai hộ vì mục đích nhân đạo phải đáp ứng điều kiện gì về việc sinh con?",
     "Theo Điều 95 Luật Hôn nhân và gia đình, người được nhờ mang thai hộ phải là người thân thích cùng hàng của bên vợ hoặc bên chồng, đã từng sinh con và chỉ được mang thai hộ một lần."),
    ("bo-luat-dan-su", "20", "Từ bao nhiêu tuổi thì một người được coi là người thành niên?",
     "Theo Điều 20 Bộ luật dân sự, người thành niên là người từ đủ mười tám tuổi trở lên."),
    ("bo-luat-dan-su", "21", "Trẻ 16 tuổi có tự mua bán nhà đất được không?",
     "Theo Điều 21 Bộ luật dân sự, người từ đủ mười lăm tuổi đến chưa đủ mười tám tuổi tự mình xác lập giao dịch dân sự, trừ giao dịch liên quan đến bất động sản, động sản phải đăng ký và giao dịch khác theo luật phải được người đại diện theo pháp luật đồng ý."),
    ("bo-luat-dan-su", "468", "Lãi suất cho vay do các bên thỏa thuận được phép cao nhất bao nhiêu?",
     "Theo Điều 468 Bộ luật dân sự, lãi suất theo thỏa thuận không được vượt quá 20%/năm của khoản tiền vay, trừ trường hợp luật khác có liên quan quy định khác."),
    ("bo-luat-dan-su", "429", "Tranh chấp hợp đồng thì có bao lâu để khởi kiện ra tòa?",
     "Theo Điều 429 Bộ luật dân sự, thời hiệu khởi kiện tranh chấp hợp đồng là 03 năm, kể từ ngày người có quyền yêu cầu biết hoặc phải biết quyền và lợi ích hợp pháp của mình bị xâm phạm."),
    ("bo-luat-dan-su", "623", "Thời hiệu yêu cầu chia di sản thừa kế là nhà đất là bao lâu?",
     "Theo Điều 623 Bộ luật dân sự, thời hiệu để người thừa kế yêu cầu chia di sản là 30 năm đối với bất động sản và 10 năm đối với động sản, kể từ thời điểm mở thừa kế."),
    ("bo-luat-dan-su", "651", "Hàng thừa kế thứ nhất gồm những ai?",
     "Theo Điều 651 Bộ luật dân sự, hàng thừa kế thứ nhất gồm vợ, chồng, cha đẻ, mẹ đẻ, cha nuôi, mẹ nuôi, con đẻ, con nuôi của người chết."),
    ("bo-luat-dan-su", "230", "Nhặt được của rơi mà sau một năm không ai nhận thì xử lý ra sao?",
     "Theo Điều 230 Bộ luật dân sự, sau 01 năm kể từ ngày thông báo công khai mà không xác định được chủ sở hữu, tài sản có giá trị không quá mười lần mức lương cơ sở thuộc về người nhặt được; nếu lớn hơn, người nhặt được hưởng mười lần mức lương cơ sở và 50% phần vượt quá, phần còn lại thuộc về Nhà nước."),
    ("bo-luat-dan-su", "231", "Bắt được trâu bò đi lạc thì sau bao lâu được làm chủ?",
     "Theo Điều 231 Bộ luật dân sự, sau 06 tháng kể từ ngày thông báo công khai, hoặc sau 01 năm đối với gia súc thả rông theo tập quán, quyền sở hữu đối với gia súc thuộc về người bắt được."),
    ("bo-luat-dan-su", "625", "Học sinh 16 tuổi có được lập di chúc không?",
     "Theo Điều 625 Bộ luật dân sự, người từ đủ mười lăm tuổi đến chưa đủ mười tám tuổi được lập di chúc nếu được cha, mẹ hoặc người giám hộ đồng ý."),
    ("bo-luat-dan-su", "630", "Người không biết chữ muốn lập di chúc hợp pháp thì phải làm thế nào?",
     "Theo Điều 630 Bộ luật dân sự, di chúc của người không biết chữ phải được người làm chứng lập thành văn bản và có công chứng hoặc chứng thực."),
    ("luat-giao-duc", "28", "Mấy tuổi thì trẻ vào học lớp một?",
     "Theo Điều 28 Luật Giáo dục, tuổi của học sinh vào học lớp một là 06 tuổi và được tính theo năm."),
    ("luat-giao-duc", "14", "Cấp học nào là giáo dục bắt buộc?",
     "Theo Điều 14 Luật Giáo dục, giáo dục tiểu học là giáo dục bắt buộc; Nhà nước thực hiện phổ cập giáo dục mầm non cho trẻ em 05 tuổi và phổ cập giáo dục trung học cơ sở."),
    ("luat-giao-duc", "22", "Giáo viên ép học sinh đi học thêm để thu tiền có vi phạm luật không?",
     "Theo Điều 22 Luật Giáo dục, ép buộc học sinh học thêm để thu tiền là hành vi bị nghiêm cấm trong cơ sở giáo dục."),
    ("luat-du-lich", "48", "Ngoài khách sạn, pháp luật du lịch còn công nhận những kiểu chỗ nghỉ nào cho du khách?",
     "Theo Điều 48 Luật Du lịch, cơ sở lưu trú du lịch gồm khách sạn, biệt thự du lịch, căn hộ du lịch, tàu thủy lưu trú du lịch, nhà nghỉ du lịch, nhà ở có phòng cho khách du lịch thuê, bãi cắm trại du lịch và các cơ sở lưu trú du lịch khác."),
    ("luat-du-lich", "59", "Muốn được cấp thẻ hướng dẫn viên du lịch nội địa thì cần trình độ gì?",
     "Theo Điều 59 Luật Du lịch, cần tốt nghiệp trung cấp trở lên chuyên ngành hướng dẫn du lịch; nếu tốt nghiệp trung cấp trở lên chuyên ngành khác thì phải có chứng chỉ nghiệp vụ hướng dẫn du lịch nội địa."),
    ("luat-du-lich", "10", "Người nước ngoài sống ở Việt Nam đi du lịch Đà Lạt thì được xếp vào loại khách nào?",
     "Theo Điều 10 Luật Du lịch, người nước ngoài cư trú ở Việt Nam đi du lịch trong lãnh thổ Việt Nam là khách du lịch nội địa."),
    ("luat-du-lich", "58", "Hướng dẫn viên du lịch tại điểm được hành nghề trong phạm vi nào?",
     "Theo Điều 58 Luật Du lịch, hướng dẫn viên du lịch tại điểm được hướng dẫn cho khách du lịch trong phạm vi khu du lịch, điểm du lịch."),
    ("luat-trong-tai-thuong-mai", "33", "Thời hiệu khởi kiện theo thủ tục trọng tài là bao lâu?",
     "Theo Điều 33 Luật Trọng tài thương mại, trừ trường hợp luật chuyên ngành quy định khác, thời hiệu khởi kiện theo thủ tục trọng tài là 02 năm kể từ thời điểm quyền và lợi ích hợp pháp bị xâm phạm."),
    ("luat-trong-tai-thuong-mai", "69", "Muốn yêu cầu tòa hủy phán quyết trọng tài thì phải nộp đơn trong bao lâu?",
     "Theo Điều 69 Luật Trọng tài thương mại, bên yêu cầu có 30 ngày kể từ ngày nhận được phán quyết trọng tài để làm đơn gửi Tòa án có thẩm quyền."),
    ("luat-trong-tai-thuong-mai", "20", "Muốn làm trọng tài viên thì cần bằng cấp và kinh nghiệm thế nào?",
     "Theo Điều 20 Luật Trọng tài thương mại, trọng tài viên phải có năng lực hành vi dân sự đầy đủ, có trình độ đại học và đã qua thực tế công tác theo ngành đã học từ 5 năm trở lên."),
    ("luat-trong-tai-thuong-mai", "10", "Tranh chấp không có yếu tố nước ngoài thì tố tụng trọng tài dùng ngôn ngữ gì?",
     "Theo Điều 10 Luật Trọng tài thương mại, ngôn ngữ sử dụng là tiếng Việt, trừ trường hợp ít nhất một bên là doanh nghiệp có vốn đầu tư nước ngoài."),
    ("luat-to-tung-hanh-chinh", "116", "Khởi kiện quyết định hành chính thì thời hiệu là bao lâu?",
     "Theo Điều 116 Luật Tố tụng hành chính, thời hiệu khởi kiện là 01 năm kể từ ngày nhận được hoặc biết được quyết định hành chính, hành vi hành chính, quyết định kỷ luật buộc thôi việc."),
    ("luat-to-tung-hanh-chinh", "206", "Không đồng ý bản án hành chính sơ thẩm thì có bao nhiêu ngày để kháng cáo?",
     "Theo Điều 206 Luật Tố tụng hành chính, thời hạn kháng cáo bản án sơ thẩm là 15 ngày kể từ ngày tuyên án."),
    ("hien-phap", "27", "Công dân bao nhiêu tuổi thì được bầu cử và ứng cử vào Quốc hội?",
     "Theo Điều 27 Hiến pháp, công dân đủ mười tám tuổi trở lên có quyền bầu cử và đủ hai mươi mốt tuổi trở lên có quyền ứng cử vào Quốc hội, Hội đồng nhân dân."),
    ("hien-phap", "71", "Mỗi khóa Quốc hội có nhiệm kỳ mấy năm?",
     "Theo Điều 71 Hiến pháp, nhiệm kỳ của mỗi khóa Quốc hội là năm năm; việc kéo dài nhiệm kỳ không được quá mười hai tháng, trừ trường hợp có chiến tranh."),
    ("hien-phap", "87", "Người giữ chức Chủ tịch nước được lựa chọn bằng cách nào?",
     "Theo Điều 87 Hiến pháp, Chủ tịch nước do Quốc hội bầu trong số đại biểu Quốc hội."),
    ("luat-bao-ve-moi-truong", "75", "Rác thải sinh hoạt của hộ gia đình phải phân thành mấy loại?",
     "Theo Điều 75 Luật Bảo vệ môi trường, chất thải rắn sinh hoạt được phân loại thành chất thải có khả năng tái sử dụng, tái chế; chất thải thực phẩm; và chất thải rắn sinh hoạt khác."),
    ("luat-bao-ve-moi-truong", "79", "Rác tái chế đã phân loại riêng có phải trả phí thu gom không?",
     "Theo Điều 79 Luật Bảo vệ môi trường, chất thải rắn có khả năng tái sử dụng, tái chế và chất thải nguy hại đã được phân loại riêng thì không phải chi trả giá dịch vụ thu gom, vận chuyển và xử lý."),
    ("luat-phong-chong-ma-tuy", "23", "Quyết định quản lý người dùng ma túy trái phép có thời hạn bao lâu?",
     "Theo Điều 23 Luật Phòng, chống ma túy, thời hạn quản lý người sử dụng trái phép chất ma túy là 01 năm kể từ ngày Chủ tịch Ủy ban nhân dân cấp xã ra quyết định quản lý."),
    ("luat-phong-chong-ma-tuy", "28", "Cai nghiện ma túy bắt buộc được thực hiện ở đâu?",
     "Theo Điều 28 Luật Phòng, chống ma túy, cai nghiện ma túy bắt buộc được thực hiện tại cơ sở cai nghiện ma túy công lập."),
    ("luat-chan-nuoi", "53", "Một đơn vị vật nuôi tương đương bao nhiêu ki-lô-gam?",
     "Theo Điều 53 Luật Chăn nuôi, mỗi đơn vị vật nuôi tương đương với 500 kg khối lượng vật nuôi sống."),
    ("luat-chan-nuoi", "66", "Nuôi chó mèo thì chủ nuôi có nghĩa vụ gì về bệnh dại?",
     "Theo Điều 66 Luật Chăn nuôi, chủ nuôi phải tiêm phòng bệnh dại cho chó, mèo và khi nghi ngờ có triệu chứng bệnh dại phải báo ngay cho Ủy ban nhân dân cấp xã hoặc cán bộ chăn nuôi, thú y cơ sở."),
    ("luat-trong-trot", "14", "Có được đặt tên giống cây trồng chỉ bằng chữ số không?",
     "Theo Điều 14 Luật Trồng trọt, tên giống cây trồng chỉ bao gồm chữ số sẽ không được chấp nhận."),
]

UNANSWERABLE_VI = [
    "Nhân viên có con nhỏ được trợ cấp tiền nhà trẻ không?",
    "Nhân viên giới thiệu ứng viên được tuyển dụng thành công thì được thưởng bao nhiêu?",
    "Công ty có xe đưa đón nhân viên đi làm không?",
    "Mỗi năm nhân viên được cấp mấy bộ đồng phục?",
    "Tòa nhà văn phòng Hà Nội có phòng tập gym riêng cho nhân viên không?",
    "Công ty có cho nghỉ có lương khi nhân viên đi hiến máu không?",
    "Công ty có trả tiền xăng đi lại hằng tháng cho mọi người không?",
    "Ai đang là Tổng Giám đốc của Sao Mai Tech?",
    "Văn phòng Đà Nẵng của công ty có bao nhiêu nhân viên?",
    "SaoMai Books có gói giá riêng dành cho trường học không?",
    "Nhân viên có được mang thú cưng đến văn phòng không?",
    "Công ty hỗ trợ bao nhiêu tiền khi nhân viên mua nhà lần đầu?",
    "SaoMai Books có kết nối với sàn Shopee để lấy đơn hàng tự động không?",
    "Đăng nhập SaoMai Books bị lỗi 502 thì khắc phục thế nào?",
    "Công ty có thưởng thâm niên bằng tiền cho nhân viên làm đủ 10 năm không?",
    "Mức phạt khi điều khiển xe máy vượt đèn đỏ là bao nhiêu?",
    "Thuế suất thuế giá trị gia tăng phổ biến hiện nay là bao nhiêu phần trăm?",
    "Tuổi nghỉ hưu của lao động nam theo quy định hiện hành là bao nhiêu?",
    "Lệ phí làm hộ chiếu phổ thông là bao nhiêu?",
    "Theo Luật Đất đai, thời hạn giao đất nông nghiệp cho hộ gia đình là bao lâu?",
    "Lương tối thiểu vùng I hiện áp dụng mức nào?",
    "Người lao động được nghỉ mấy ngày vào dịp Quốc khánh 2/9?",
    "Khung hình phạt cao nhất cho tội lừa đảo chiếm đoạt tài sản là gì?",
    "Điều kiện để thành lập công ty trách nhiệm hữu hạn một thành viên là gì?",
    "Trẻ em dưới bao nhiêu tuổi không được ngồi ghế trước trên ô tô?",
]

UNANSWERABLE_EN = [
    "What is the maximum prison sentence for tax evasion in Vietnam?",
]


def law_title(stem: str) -> str:
    """The '# ' title line of a law document."""
    return (DOCUMENTS / "laws" / f"{stem}.md").read_text(encoding="utf-8").split("\n", 1)[0][2:]


def check_article(stem: str, article: str) -> None:
    """Fail loudly if a held-out article is missing from the law document."""
    text = (DOCUMENTS / "laws" / f"{stem}.md").read_text(encoding="utf-8")
    if f"\n## Điều {article}." not in text and f"\n## Điều {article}\n" not in text:
        raise SystemExit(f"article {article} not found in laws/{stem}.md")


def build_rows() -> list[dict]:
    """All evaluation rows, in a fixed order: handbook, laws, unanswerable."""
    rows = []
    for doc_id, question, reference in HANDBOOK:
        if not (DOCUMENTS / doc_id).exists():
            raise SystemExit(f"missing document {doc_id}")
        rows.append({"question": question, "reference": reference, "sources": [doc_id], "answerable": True})
    for stem, article, question, reference in LAWS:
        check_article(stem, article)
        rows.append({"question": question, "reference": reference,
                     "sources": [f"laws/{stem}.md"], "answerable": True})
    rows += [{"question": q, "reference": REFUSAL_VI, "sources": [], "answerable": False}
             for q in UNANSWERABLE_VI]
    rows += [{"question": q, "reference": REFUSAL_EN, "sources": [], "answerable": False}
             for q in UNANSWERABLE_EN]
    return [{key: nfc(value) if isinstance(value, str) else value for key, value in row.items()}
            for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(CORPORA / "eval" / "questions.jsonl"))
    parser.add_argument("--held-out", default=str(CORPORA / "eval" / "held_out_articles.json"))
    args = parser.parse_args()

    rows = build_rows()
    questions = [row["question"] for row in rows]
    if len(set(questions)) != len(questions):
        raise SystemExit("duplicate eval questions")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")

    held_out = [{"doc_id": f"laws/{stem}.md", "law": law_title(stem), "article": article}
                for stem, article in sorted({(s, a) for s, a, _, _ in LAWS},
                                            key=lambda sa: (sa[0], int(sa[1])))]
    Path(args.held_out).write_text(
        "[\n" + ",\n".join(json.dumps(item, ensure_ascii=False) for item in held_out) + "\n]\n",
        encoding="utf-8")

    answerable = sum(row["answerable"] for row in rows)
    print(f"wrote {len(rows)} eval rows: {len(HANDBOOK)} handbook, {len(LAWS)} laws "
          f"({answerable} answerable), {len(rows) - answerable} unanswerable; "
          f"{len(held_out)} held-out articles")


if __name__ == "__main__":
    main()
