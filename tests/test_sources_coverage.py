"""Coverage of what the plans name (issue 19 item 5): every named 「…项目/工程/园/中心」 of the 专栏 lists of 002
and 004, read back from the seed text, is a row of a source table, an unlocated entry, or a structure element.

The list is extracted generically from the 专栏 structure (:func:`seedtext.box_entities`), not written down: a new
transcription gap shows up here.  Items that name no particular thing (一批…, a programme, a category heading) are
listed in :data:`GENERIC` with the reason.
"""

from __future__ import annotations

import csv
import re

import yaml
from seedtext import F002, F004, REPO, SOURCES, box_entities, needs_seeds, squash

#: Extracted items that name no single thing a map could hold, with the reason.
GENERIC = {
    # programmes, categories and headings of a list
    "在建高速公路项目": "泛指的在建项目类别", "重点生猪养殖龙头企业项目": "企业类别, 未点名",
    "仓储物流建设工程": "专栏6 的类别标题", "农田水利工程": "专栏6 的类别标题", "能源建设工程": "专栏6 的类别标题",
    "网提升工程": "专栏6 的类别标题(…电网提升工程)", "智能电网工程": "专栏7 的类别标题", "清洁能源工程": "专栏7 的类别标题",
    "重大民生项目": "泛指", "城市南北走向主干道工程": "未点名的道路类别", "农村公路联网工程": "未点名的道路类别",
    "城市生态修复工程": "全城范围的工作", "提级改造工程": "未点名的道路类别", "国防科技工程": "科技计划, 非场地",
    "新一轮广西高速公路规划项目": "规划类别", "教育课程学分转换改革项目": "改革事项, 非场地",
    "全国社区教育示范区项目": "创建称号, 非场地", "智能学习体系项目": "信息系统, 非场地",
    "技术的教学模式创新项目": "教学改革, 非场地", "智慧教育数据中心": "覆盖柳州全域的信息系统, 非场地",
    "医疗平台建设工程": "专栏4-5 的类别标题", "体育设施项目": "未点名的设施类别",
    "柳州版养老服务示范工程": "全市养老服务计划, 非场地", "示范性社区医养结合服务中心": "未点名的社区设施类别",
    "社会治安强化工程": "专栏5-1 的类别标题", "社会治理信息化推进工程": "专栏5-1 的类别标题",
    "派出所项目": "未点名的派出所", "联网应用项目": "公共安全视频监控(雪亮工程), 全市信息系统",
    "雪亮工程": "公共安全视频监控, 全市信息系统", "农村普惠金融综合服务点赋能工程": "全市服务点计划, 非场地",
    "城市公园": "未点名的公园类别", "体育公园": "未点名的公园类别", "乡村旅游服务中心": "未点名的设施类别",
    "旅游服务中心": "功能定位(古埠…打造成…旅游服务中心), 非设施",
    "成区域特色农产品生产交易中心": "功能定位(打造成区域特色农产品生产交易中心), 非设施",
    "柳州北部文旅中心": "融安县与融水县共同的功能定位, 非设施", "临港产业园": "空港旁未点名的园区类别",
    "功能的县级仓储物流中心": "县、乡、村三级网络的设施类别", "村级寄递物流综合服务站为中心": "网络层级的说法",
    "销地冷链集配中心": "设施类别", "类型的应急物流园": "设施类别",
}
GENERIC_PREFIX = ("一批", "一个")  # 一批公办幼儿园, 一个1000张床位养老项目: a number of unnamed things


def _known() -> str:
    """Everything a named entity may be found under: rows (name, description, quote), unlocated, structures."""
    parts = []
    for path in sorted(SOURCES.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            parts += [f"{r.get('name', '')}|{r.get('description', '')}" for r in csv.DictReader(fh)]
    for path in sorted(SOURCES.glob("corridors_*.yaml")):
        parts += [f"{r.get('name', '')}|{r.get('description', '')}|{r.get('quote', '')}"
                  for r in yaml.safe_load(path.read_text(encoding="utf-8")) or []]
    for path in sorted((REPO / "layers" / "structures").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        parts += [f"{e['name']}|{e.get('note', '')}|{e.get('quote', '')}" for e in data["elements"]]
    parts += [line for line in (REPO / "layers" / "plans" / "unlocated.md").read_text(encoding="utf-8").splitlines()
              if line.startswith("|")]
    return squash("\n".join(parts))


def _missing() -> tuple[int, list[str]]:
    known = _known()
    items = [(f, t, n, e) for f in (F002, F004) for t, n, e in box_entities(f)]
    missing = [f"{f[:3]} {t} line {n}: {e}" for f, t, n, e in items
               if e not in known and e not in GENERIC and not e.startswith(GENERIC_PREFIX)]
    return len(items), missing


@needs_seeds
def test_every_named_box_item_is_a_row_an_unlocated_entry_or_a_structure_member():
    total, missing = _missing()
    assert total >= 200, f"the 专栏 extractor found only {total} items (the lists hold over 200)"
    assert not missing, f"{len(missing)} named 专栏 items have no row: " + "; ".join(missing)


@needs_seeds
def test_the_extractor_reads_known_items_of_the_lists():
    got = {e for f in (F002, F004) for _, _, e in box_entities(f)}
    # a project, a works, a park and a centre of different 专栏 (002 专栏4-3, 004 专栏4-2, 4-5, 4-6)
    for name in ["西南水运出海北线通道融江船闸工程", "鹧鸪江物流园", "危重症救治中心", "柳东新区颐养中心",
                 "湘桂铁路柳州枢纽扩能改造工程", "大良镇旅游集散中心"]:
        assert name in got
    assert not {e for e in got if re.match(r"^(推进|建设|打造|加快|以|在(?!建))", e)}


@needs_seeds
def test_generic_items_are_really_extracted():
    # a GENERIC entry that the extractor no longer produces is stale and must go
    got = {e for f in (F002, F004) for _, _, e in box_entities(f)}
    assert set(GENERIC) <= got, sorted(set(GENERIC) - got)


def test_named_entities_of_the_issue_have_rows():
    with open(SOURCES / "projects_named_entities.csv", encoding="utf-8", newline="") as fh:
        names = {r["name"] for r in csv.DictReader(fh)}
    assert {"柳东龙湖商业副中心", "柳城县城东新区", "丹洲村", "五星商圈", "柳州工业博物馆", "启迪（柳州）科技城"} <= names
