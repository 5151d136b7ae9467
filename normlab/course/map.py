"""The course map: each notebook, the question it answers and about how long it takes, in reading order.

`table()` is the map's markdown (README and notebook 00 hold it); `nav(name)` the previous/next line that ends
every notebook. tools/course_map.py writes both into the files; tests/course/test_course_map.py checks they agree.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Stop", "COURSE", "table", "nav", "NAV_MARK"]

NAV_MARK = "<!-- course navigation -->"


@dataclass(frozen=True)
class Stop:
    """One notebook of the course: its file stem, a short title, the question it answers, minutes to work it."""

    name: str
    title: str
    question: str
    minutes: int


COURSE = (
    Stop("00_one_idea_normalize", "One idea", "What does every normalization layer compute, and over which dims?", 30),
    Stop("01_batchnorm1d_2d_input", "BatchNorm1d on (N, C)",
         "What does BatchNorm1d do to a batch of feature vectors, and what does it store?", 30),
    Stop("02_batchnorm1d_3d_input", "BatchNorm1d on (N, C, L)",
         "Which values share a mean when the input has a length dim?", 20),
    Stop("03_batchnorm2d", "BatchNorm2d", "How does BatchNorm treat images, and how do d2l's and torch's differ?", 30),
    Stop("04_layernorm", "LayerNorm",
         "What does LayerNorm normalize, how is it unlike BatchNorm, and what does it mean on images?", 30),
    Stop("05_eval_mode_and_running_stats", "Eval mode",
         "What changes between train and eval, and how do the running statistics move?", 30),
    Stop("06_nlp_and_image_layouts", "Layouts",
         "Which transpose or permute does each layer need for tokens and images, and what does padding do?", 30),
    Stop("07_why_normalize", "Why normalize", "Why does normalization help training? Measured, with both explanations.",
         45),
    Stop("08_backward_pass", "The backward pass", "How does the gradient flow through a normalization layer?", 40),
    Stop("09_group_instance_rms_norm", "GroupNorm, InstanceNorm, RMSNorm",
         "Which norm when the batch is small, and which in a transformer?", 35),
    Stop("10_state_of_a_norm_layer", "State", "What does a norm layer keep, and how do you freeze or recalibrate it?",
         30),
    Stop("11_batches_and_processes", "Batches and processes",
         "What happens to BatchNorm with gradient accumulation and several processes?", 35),
    Stop("12_deployment", "Deployment", "How do you fold, shrink and audit a model's norm layers for deployment?", 30),
    Stop("13_cheat_sheet", "The course on one page",
         "Do you remember it? A final quiz, then every layer's dims, parameters, buffers and modes, computed.", 20),
    Stop("14_field_guide", "Field guide",
         "My model misbehaves: is it a norm layer, and which trap? Thirteen real bugs, reproduced and fixed.", 40),
)


def table(where: str = "") -> str:
    """The course map as a markdown table: notebook (a link, prefixed by `where`), the question, minutes."""
    rows = [f"| [{s.name[:2]} · {s.title}]({where}{s.name}.ipynb) | {s.question} | {s.minutes} |" for s in COURSE]
    return "\n".join(["| notebook | the question it answers | about (min) |", "|---|---|---|", *rows])


def nav(name: str) -> str:
    """The closing line of a notebook: links to the previous and the next notebook, and to the map in 00."""
    names = [s.name for s in COURSE]
    k = names.index(name)
    parts = []
    if k > 0:
        prev = COURSE[k - 1]
        parts.append(f"← previous: [{prev.name[:2]} · {prev.title}]({prev.name}.ipynb)")
    parts.append(f"[course map]({COURSE[0].name}.ipynb#Course-map)")
    if k + 1 < len(COURSE):
        nxt = COURSE[k + 1]
        parts.append(f"next: [{nxt.name[:2]} · {nxt.title}]({nxt.name}.ipynb) →")
    return f"{NAV_MARK}\n---\n" + " · ".join(parts)
