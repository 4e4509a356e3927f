import io
import wave

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from casebase.models import Case, CaseCategory
from casebase.services.content import case_create

# Tree text is data, one turn per line: its lines may run past 100 characters.
SAMPLE_TREE_TEXT = """\
客户: 我的话费怎么多扣了50元？ | 情绪: 愤怒 | 想法: 觉得被乱扣费
  客服*: 非常理解您着急，我马上帮您查。 | 出发点: 先安抚情绪; 表明立即行动
    客户: 好，你查吧。 | 情绪: 稍缓和
      客服: 是视频会员自动续费，我帮您退订并申请退费。 | 出发点: 讲清原因; 给出方案 | 结果: 退订并退费 | 最终状态: 满意
    客户: 我不想等，直接给我退钱！ | 情绪: 急躁
      客服: 退费需要核实，我现在就提交，24小时内到账。 | 出发点: 给出明确时限 | 结果: 提交退费 | 最终状态: 接受
  客服: 系统扣费不会错的。 | 出发点: 维护公司立场 | 结果: 客户投诉升级 | 最终状态: 更加愤怒
"""  # noqa: E501


def sample_tree() -> dict:
    from casebase.tree import parse_tree_text

    return parse_tree_text(SAMPLE_TREE_TEXT)


def wav_bytes(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A small valid mono 16-bit WAV of silence (stdlib wave)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(rate * seconds))
    return buffer.getvalue()


def wav_upload(name: str = "call.wav", seconds: float = 1.0) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, wav_bytes(seconds), content_type="audio/wav")


def category(
    code: str = "emotion", name: str = "情绪安抚", parent: CaseCategory | None = None
) -> CaseCategory:
    existing = CaseCategory.objects.filter(code=code).first()
    if existing:
        return existing
    if parent is not None:
        return CaseCategory.objects.add_child(parent, create_kwargs={"code": code, "name": name})
    return CaseCategory.objects.add_root(create_kwargs={"code": code, "name": name})


class CaseFactory(factory.Factory):
    """A text case created through case_create (so its tree is validated)."""

    class Meta:
        model = Case

    kind = Case.Kind.TEXT
    title = factory.Sequence(lambda n: f"话费争议案例{n}")
    category = factory.LazyFunction(category)
    level = 1
    split = Case.Split.TRAINING
    background = "客户是老用户，月消费100元左右。"
    tree = factory.LazyFunction(sample_tree)

    @classmethod
    def _create(cls, model_class, **kwargs):
        return case_create(**kwargs)

    @classmethod
    def _build(cls, model_class, **kwargs):
        raise NotImplementedError


def seed_tree_text(
    n: int,
    *,
    rationales: int = 3,
    emotion: bool = True,
    thinking: bool = True,
    same_texts: bool = False,
) -> str:
    """A seed-style tree (no alternative replies): question → reply → follow-up → final reply,
    its texts numbered ``n`` (identical for every n with ``same_texts``)."""
    tag = "" if same_texts else f"#{n}"
    why = "; ".join(f"考虑{tag}-{k}" for k in range(1, rationales + 1))

    def turn(text, feeling, idea):
        parts = [f"客户: {text}{tag}"]
        if emotion:
            parts.append(f"情绪: {feeling}{tag}")
        if thinking:
            parts.append(f"想法: {idea}{tag}")
        return " | ".join(parts)

    return (
        "\n".join(
            [
                turn("我的宽带又断了", "恼火", "觉得总出问题"),
                f"  客服: 给您添麻烦了，我马上查线路{tag} | 出发点: {why}",
                "    " + turn("那你快点", "着急", "赶时间"),
                f"      客服: 已派师傅两小时内上门{tag} | 出发点: {why} | 结果: 派单{tag} | "
                f"最终状态: 接受{tag}",
            ]
        )
        + "\n"
    )


def seed_case(n: int, *, level: int = 1, split: str = "test", **tree_options) -> Case:
    """A seed-style text case created through case_create."""
    from casebase.tree import parse_tree_text

    return case_create(
        kind=Case.Kind.TEXT,
        title=f"种子案例{n}",
        category=category(),
        level=level,
        split=split,
        background="客户家里宽带经常断。",
        tree=parse_tree_text(seed_tree_text(n, **tree_options)),
    )


# MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding: 417-byte frames of 1152 samples.
MP3_FRAME_HEADER = b"\xff\xfb\x90\x00"
MP3_FRAME_BYTES = 417
MP3_FRAME_SECONDS = 1152 / 44100


def mp3_bytes(frames: int, *, xing_frames: int | None = None) -> bytes:
    """An MP3 of ``frames`` silent frames. With ``xing_frames`` the first frame is a Xing
    header claiming that many frames (what mutagen believes), whatever follows it."""
    frame = MP3_FRAME_HEADER + b"\x00" * (MP3_FRAME_BYTES - 4)
    out = []
    if xing_frames is not None:
        # side information of an MPEG-1 stereo frame is 32 bytes; the Xing tag follows it
        xing = b"Xing" + (1).to_bytes(4, "big") + xing_frames.to_bytes(4, "big")
        out.append(
            MP3_FRAME_HEADER
            + b"\x00" * 32
            + xing
            + b"\x00" * (MP3_FRAME_BYTES - 4 - 32 - len(xing))
        )
    out.extend([frame] * frames)
    return b"".join(out)


def mp3_upload(
    name: str = "call.mp3", frames: int = 100, xing_frames: int | None = None
) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, mp3_bytes(frames, xing_frames=xing_frames), content_type="audio/mpeg"
    )


def wav_with_hidden_samples(
    declared_seconds: float, real_seconds: float, rate: int = 8000
) -> bytes:
    """A WAV whose data chunk declares ``declared_seconds`` but whose file carries
    ``real_seconds`` of samples after it (a player plays them all)."""
    head = wav_bytes(declared_seconds, rate)
    return head + b"\x01\x00" * int(rate * (real_seconds - declared_seconds))


def grant_maintain(user):
    """Give ``user`` the case maintainers' permission (uploading recordings, direct changes)
    and return them with a fresh permission cache."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        Permission.objects.get(codename="maintain_cases", content_type__app_label="casebase")
    )
    return get_user_model().objects.get(pk=user.pk)
