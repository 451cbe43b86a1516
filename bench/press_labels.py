"""Held-out press photos whose CelebA labels say nothing is wrong, but which break a rule CelebA has no
label for, labelled by eye in one look at every one of them.

CelebA labels glasses, hats, open mouths, earrings, necklaces, make-up, fringes and blur, but not gaze,
closed eyes, a hand or microphone over the face, hidden ears or a second face, so the bench's
"compliant" press photos include photos the booth should reject. All 197 held-out photos the labels
call compliant (176 aligned crops, 21 wild photos; ``--aligned 2000``, the default sample) were looked at
once, with neither the checks' verdicts nor their measures in view: aligned crops at 2.5x on
contact sheets, wild photos 400 px high, every unclear face again at 4x (600 px). A rule is labelled only
when it is broken plainly; doubtful cases (eyes narrowed by a smile, a hand near the face, lips perhaps
apart) were left compliant. Rules: ``gaze_away`` (eyes plainly turned away; a full profile included),
``covered`` (a hand, microphone, collar, mask over part of the face), ``ears_hidden`` (wild photos only),
``second_face``, ``eyes_closed``, ``mouth_open`` / ``teeth`` and ``jewellery`` where CelebA's label is
wrong, ``other`` (a hat, heavy eye make-up, a tiny face...). The calibration half was not looked at: no
threshold was chosen with these labels. They are one look's judgement; gaze on the 89x109 crops is the
least certain.
"""

from __future__ import annotations

# file -> the rules it breaks (comma-separated): what was seen
LOOKED: dict[str, str] = {
    "celeba_aligned89_000067.jpg": "covered: hand with cigarette over cheek and chin",
    "celeba_aligned89_000123.jpg": "gaze_away: eyes turned to the side",
    "celeba_aligned89_000263.jpg": "gaze_away: eyes look down and to the side",
    "celeba_aligned89_000265.jpg": "covered,gaze_away: hand over chin/mouth; eyes to the side; watermark",
    "celeba_aligned89_000445.jpg": "covered: hair across one side of the face and eye",
    "celeba_aligned89_000706.jpg": "mouth_open: lips apart, speaking",
    "celeba_aligned89_001474.jpg": "second_face: woman's face beside him at left",
    "celeba_aligned89_001478.jpg": "gaze_away: eyes turned to the side",
    "celeba_aligned89_001699.jpg": "covered,other: finger on chin; wearing a crown",
    "celeba_aligned89_001808.jpg": "gaze_away: looks off to the side",
    "celeba_aligned89_002155.jpg": "gaze_away: looks off to the side",
    "celeba_aligned89_002249.jpg": "gaze_away,other: profile view looking up; hair strands over face",
    "celeba_aligned89_002358.jpg": "teeth: broad smile showing teeth",
    "celeba_aligned89_002462.jpg": "gaze_away: eyes cast down, head turned",
    "celeba_aligned89_002818.jpg": "gaze_away,other: eyes turned sideways; grimace",
    "celeba_aligned89_002852.jpg": "gaze_away,jewellery: eyes to the side; earring in visible ear",
    "celeba_aligned89_003311.jpg": "gaze_away: looks upward",
    "celeba_aligned89_003980.jpg": "gaze_away,other: full profile looking away",
    "celeba_aligned89_004002.jpg": "covered: fingers touching chin",
    "celeba_aligned89_004122.jpg": "gaze_away: eyes cast down",
    "celeba_aligned89_004250.jpg": "eyes_closed: lids down over the eyes (looking down)",
    "celeba_aligned89_004615.jpg": "gaze_away: looks up and to the side",
    "celeba_aligned89_004689.jpg": "covered: hand over mouth and chin",
    "celeba_aligned89_004813.jpg": "gaze_away: looks to the side, head turned",
    "celeba_aligned89_005018.jpg": "covered,other: tape over mouth; white hat; slogan painted on cheek",
    "celeba_aligned89_005072.jpg": "gaze_away: eyes down/side",
    "celeba_aligned89_005086.jpg": "gaze_away: eyes turned down and sideways",
    "celeba_aligned89_005535.jpg": "gaze_away: looks to the side",
    "celeba_aligned89_005631.jpg": "covered,mouth_open,gaze_away: microphone at chin; singing, mouth open; eyes down",
    "celeba_aligned89_005878.jpg": "mouth_open,gaze_away: lips apart; eyes off to side",
    "celeba_aligned89_006235.jpg": "other: hood pulled over the head",
    "celeba_aligned89_006334.jpg": "gaze_away: eyes rolled up and to the side",
    "celeba_aligned89_006466.jpg": "jewellery: thin necklace chain visible at open neckline",
    "celeba_aligned89_006564.jpg": "gaze_away: looks down and away",
    "celeba_aligned89_006831.jpg": "covered,gaze_away,other: hand and microphone over mouth; knitted beanie; eyes...",
    "celeba_aligned89_007055.jpg": "covered,eyes_closed,mouth_open,gaze_away: singing in profile into microphone,...",
    "celeba_aligned89_007063.jpg": "other: rhinestone decoration on the eyebrows",
    "celeba_aligned89_007128.jpg": "covered,teeth: headset microphone at the mouth; open smile with teeth",
    "celeba_aligned89_007144.jpg": "gaze_away: looks to the side",
    "celeba_aligned89_007651.jpg": "gaze_away,jewellery: eyes cast down; stud earring visible",
    "celeba_aligned89_008071.jpg": "other: heavy dark eye make-up (gloved hand raised beside head, not over face)",
    "celeba_aligned89_008201.jpg": "second_face: another person's face partly in frame, top left",
    "celeba_aligned89_008386.jpg": "gaze_away: eyes turned to the side",
    "celeba_aligned89_008514.jpg": "gaze_away: looks off to the side",
    "celeba_aligned89_008608.jpg": "gaze_away: looks down and to the side while smiling",
    "celeba_aligned89_008809.jpg": "covered: hands pressed together against the chin",
    "celeba_aligned89_008836.jpg": "covered,other: black mask over forehead and upper face",
    "celeba_aligned89_008915.jpg": "gaze_away,mouth_open,other: profile view, lips parted",
    "celeba_aligned89_009142.jpg": "gaze_away,other: eyes cast down with lids lowered; sunglasses pushed up on head",
    "celeba_aligned89_009155.jpg": "covered,mouth_open,gaze_away: microphone at mouth while speaking; eyes off ca...",
    "celeba_aligned89_009472.jpg": "covered: upturned coat collar covers one side of the jaw/cheek",
    "celeba_aligned89_009505.jpg": "gaze_away: eyes turned to the side",
    "celeba_aligned89_009516.jpg": "gaze_away: head and eyes turned to the side",
    "celeba_aligned89_009546.jpg": "covered: hand pressed against forehead/temple beside the eye",
    "celeba_aligned89_009556.jpg": "other: knitted hat",
    "celeba_aligned89_009701.jpg": "mouth_open,gaze_away: speaking with mouth open, teeth show; looking to the si...",
    "celeba_aligned89_009853.jpg": "jewellery: earrings visible in both ears",
    "celeba_aligned89_009975.jpg": "covered: finger on the lips",
    "celeba_wild_001651.jpg": "ears_hidden: frontal, long hair over both ears",
    "celeba_wild_004739.jpg": "ears_hidden,jewellery: hair over the ears, gold earring showing below one; he...",
    "celeba_wild_008608.jpg": "gaze_away,jewellery: long dangling earrings; looks off to the side, broad smile",
    "celeba_wild_008804.jpg": "covered,gaze_away,other: nasal strip on nose; sports headband; looks to the side",
    "celeba_wild_009978.jpg": "jewellery: ear studs/plugs in both ears",
    "celeba_wild_010393.jpg": "second_face,mouth_open,gaze_away,jewellery,other: profile view, speaking; gol...",
    "celeba_wild_011932.jpg": "ears_hidden,other: hair over both ears; full-length pose in strapless outfit,...",
    "celeba_wild_013622.jpg": "gaze_away: eyes lowered and turned aside; watermark",
    "celeba_wild_014106.jpg": "covered,other: fingers at the lips; large ring on hand; bare shoulder, posed ...",
    "celeba_wild_018782.jpg": "covered,gaze_away: headset microphone across the cheek; looks to the side, he...",
    "celeba_wild_019243.jpg": "ears_hidden: frontal, long hair over both ears",
    "celeba_wild_019600.jpg": "ears_hidden,other: hair over both ears; jeweled headdress; film still with ca...",
    "celeba_wild_019746.jpg": "gaze_away: head and eyes turned to the side",
    "celeba_wild_019750.jpg": "ears_hidden: spiky hair falls over the ears, head near frontal and tilted",
}
