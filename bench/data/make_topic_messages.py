"""Plant the labelled set of bench/topics.py: park messages in Chinese, each with the
problem it names (its label), the category a visitor picked and the text.

    .venv/bin/python bench/data/make_topic_messages.py > bench/data/topic_messages.csv

The set is planted, not collected: each label has a handful of ways of saying it, put in
different places and sentences. It holds the defects issue 17 names: complaints that share
only "没有" (no soap, no paper, no bin), a washbasin beside the soap, praise that uses the
same words as a complaint ("厕所很干净" / "厕所很脏"), negated praise ("一点也不臭"), a
label split over two categories as visitors pick them, and one-off messages that belong to
no topic (label empty). Seeded: the same file every run.
"""

from __future__ import annotations

import csv
import random
import sys

# label: (categories with their weights, the ways of saying it)
LABELS: dict[str, tuple[dict[str, int], list[str]]] = {
    "no_soap": ({"toilets": 8, "facilities": 1, "other": 1}, [
        "厕所没有洗手液", "洗手液用完了", "洗手液是空的", "没有洗手液了", "洗手液没了",
        "洗手液一直没人补", "女厕没有洗手液", "男厕洗手液空了", "缺洗手液"]),
    "no_paper": ({"toilets": 9, "other": 1}, [
        "厕所没有纸", "卫生纸用完了", "厕所没纸了", "没有卫生纸", "厕纸没了",
        "卫生纸一直没人补", "女厕没有卫生纸", "缺卫生纸"]),
    "washbasin": ({"facilities": 6, "toilets": 4}, [
        "洗手池堵了", "洗手池漏水", "洗手池的水龙头坏了", "洗手池下水不通", "洗手池水龙头关不上",
        "洗手池积水", "洗手池裂了"]),
    "smelly_toilet": ({"toilets": 10}, [
        "厕所很臭", "厕所异味太大", "厕所臭味熏人", "厕所味道很难闻", "厕所太臭了进不去",
        "厕所臭气熏天"]),
    "loud_music": ({"noise": 10}, [
        "广场舞音响太吵", "跳舞的音乐声音太大", "音响声音太大吵得人头疼", "早上广场舞音响太响",
        "唱歌的音响太吵", "晚上跳舞音乐开得很大"]),
    "dog_leash": ({"safety": 5, "nature": 3, "other": 2}, [
        "遛狗不牵绳", "有人遛狗没有拴绳", "大狗不拴绳追小孩", "狗没牵绳到处跑", "遛狗不拴绳很危险",
        "好几只狗不牵绳"]),
    "broken_bench": ({"facilities": 10}, [
        "长椅坏了", "长椅的木板断了", "长椅松动了坐着晃", "长椅上的钉子露出来了", "长椅腿断了",
        "长椅扶手掉了"]),
    "street_lights": ({"safety": 6, "facilities": 4}, [
        "晚上路灯不亮", "路灯坏了", "路灯一直不亮太黑了", "路灯闪个不停", "好几盏路灯不亮",
        "路灯灭了晚上看不见路"]),
    "rubbish_bins": ({"toilets": 5, "facilities": 3, "other": 2}, [
        "垃圾桶满了没人清", "没有垃圾桶", "垃圾桶太少了", "垃圾桶溢出来了", "找不到垃圾桶",
        "垃圾桶满了苍蝇很多"]),
    "praise_clean": ({"praise": 6, "toilets": 4}, [
        "厕所很干净，谢谢保洁阿姨", "厕所打扫得真干净", "厕所一点也不臭，很干净",
        "厕所干净没有异味，点赞",
        "保洁阿姨辛苦了，厕所很干净", "厕所比以前干净多了，感谢"]),
    "praise_staff": ({"praise": 7, "service": 3}, [
        "保安师傅很热情，点赞", "工作人员态度很好，谢谢", "门口的工作人员很耐心，感谢",
        "志愿者很热心，给你们点赞", "保安大哥帮我找到了孩子，非常感谢", "工作人员服务周到，表扬"]),
}
PER_LABEL = 26
PLACES = ["", "", "北门", "南门", "东门", "西门", "湖边", "儿童乐园旁边", "东门厕所旁边",
          "健身区", "停车场边上", "牡丹园"]
ENDINGS = ["", "", "。", "！", "，请尽快处理", "，希望管理一下", "，已经好几天了", "。麻烦看看",
           "，请及时解决", "，谢谢"]
PRAISE_ENDINGS = ["", "！", "。", "，继续保持", "，很满意"]
# one-off messages: no topic should take them
ONE_OFFS = [
    ("nature", "湖里的鱼好像生病了"), ("nature", "银杏树的果子掉得满地都是"),
    ("suggestion", "希望多放几把遮阳伞"), ("suggestion", "建议开放东门的停车场"),
    ("facilities", "健身器材的螺丝松了"), ("facilities", "儿童滑梯有个裂缝"),
    ("safety", "台阶上的冰没有清理"), ("safety", "湖边的护栏松了"),
    ("service", "售票处排队太久"), ("service", "咨询电话打不通"),
    ("other", "捡到一个钱包交给谁"), ("other", "请问公园几点关门"),
    ("noise", "施工的机器太早开工"), ("noise", "有人在湖边吹萨克斯"),
    ("nature", "草坪被踩出了一条路"), ("nature", "喜鹊窝掉下来了"),
    ("suggestion", "希望增加母婴室"), ("suggestion", "建议多设几个饮水机"),
    ("facilities", "自动售货机吞钱"), ("facilities", "电子地图屏幕黑了"),
    ("safety", "有人在湖里游泳"), ("safety", "电动车在步道上骑得很快"),
    ("service", "游船码头的工作人员不在"), ("service", "失物招领处找不到人"),
    ("other", "公园里有人发传单"), ("other", "有人在草地上搭帐篷"),
    ("nature", "月季花被人摘了"), ("nature", "树上有马蜂窝"),
    ("suggestion", "希望晚上开放时间长一点"), ("suggestion", "建议增加无障碍通道标识"),
    ("facilities", "凉亭的屋顶漏雨"), ("facilities", "步道的地砖翘起来了"),
    ("safety", "井盖松动了"), ("safety", "有人在树林里抽烟"),
    ("service", "讲解员讲得很好"), ("other", "有只流浪猫受伤了"),
    ("noise", "有人用喇叭叫卖"), ("nature", "荷花池的水发绿了"),
    ("other", "公园门口的共享单车太多"), ("suggestion", "希望增加儿童游乐设施"),
]


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def planted(seed: int = 17) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for label, (categories, phrases) in LABELS.items():
        endings = PRAISE_ENDINGS if label.startswith("praise") else ENDINGS
        count = 0
        while count < PER_LABEL:
            text = rng.choice(PLACES) + rng.choice(phrases) + rng.choice(endings)
            if text in seen and rng.random() < 0.8:  # a few exact repeats, as in real mail
                continue
            seen.add(text)
            rows.append((label, weighted(rng, categories), text))
            count += 1
    rows.extend(("", category, text) for category, text in ONE_OFFS)
    rng.shuffle(rows)
    return rows


def main() -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["label", "category", "text"])
    writer.writerows(planted())


if __name__ == "__main__":
    main()
