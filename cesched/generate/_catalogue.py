"""Static vocabulary of the synthetic district: fields, unit kinds, course titles, venues, names.

Kept apart from the generation logic so that the numbers and the words can be read (and changed)
independently; nothing here draws random numbers.
"""

from __future__ import annotations

# Professional fields, grouped by the bureau that organises their professional courses.
FIELDS_BY_ORGANIZER: dict[str, tuple[str, ...]] = {
    "Health bureau": (
        "clinical-medicine",
        "nursing",
        "pharmacy",
        "medical-technology",
        "public-health",
        "traditional-chinese-medicine",
    ),
    "Education bureau": (
        "primary-education",
        "secondary-chinese",
        "secondary-math",
        "secondary-english",
        "secondary-science",
        "physical-education",
    ),
    "Agriculture bureau": ("agronomy", "plant-protection", "veterinary", "animal-husbandry"),
    "Water bureau": ("hydraulic-engineering", "surveying"),
}
FIELDS: tuple[str, ...] = tuple(f for fs in FIELDS_BY_ORGANIZER.values() for f in fs)
ORGANIZER_OF_FIELD: dict[str, str] = {f: o for o, fs in FIELDS_BY_ORGANIZER.items() for f in fs}
PUBLIC_ORGANIZER = "District HR bureau"

# The related field a joint professional course is also open to.
PARTNER_FIELD: dict[str, str] = {
    "clinical-medicine": "nursing",
    "nursing": "clinical-medicine",
    "pharmacy": "traditional-chinese-medicine",
    "traditional-chinese-medicine": "pharmacy",
    "medical-technology": "clinical-medicine",
    "public-health": "clinical-medicine",
    "primary-education": "physical-education",
    "physical-education": "primary-education",
    "secondary-chinese": "secondary-english",
    "secondary-english": "secondary-chinese",
    "secondary-math": "secondary-science",
    "secondary-science": "secondary-math",
    "agronomy": "plant-protection",
    "plant-protection": "agronomy",
    "veterinary": "animal-husbandry",
    "animal-husbandry": "veterinary",
    "hydraulic-engineering": "surveying",
    "surveying": "hydraulic-engineering",
}

# Unit kinds: (category, field mix). The category decides the roster; the mix the staff's fields.
UNIT_FIELD_MIX: dict[str, dict[str, float]] = {
    "general-hospital": {
        "clinical-medicine": 0.36,
        "nursing": 0.44,
        "pharmacy": 0.06,
        "medical-technology": 0.09,
        "public-health": 0.05,
    },
    "tcm-hospital": {
        "traditional-chinese-medicine": 0.35,
        "clinical-medicine": 0.12,
        "nursing": 0.38,
        "pharmacy": 0.10,
        "medical-technology": 0.05,
    },
    "mch-hospital": {
        "clinical-medicine": 0.38,
        "nursing": 0.44,
        "pharmacy": 0.04,
        "public-health": 0.07,
        "medical-technology": 0.07,
    },
    "health-centre": {
        "clinical-medicine": 0.32,
        "nursing": 0.30,
        "public-health": 0.18,
        "pharmacy": 0.08,
        "medical-technology": 0.07,
        "traditional-chinese-medicine": 0.05,
    },
    "middle-school": {
        "secondary-chinese": 0.21,
        "secondary-math": 0.21,
        "secondary-english": 0.18,
        "secondary-science": 0.30,
        "physical-education": 0.10,
    },
    "primary-school": {"primary-education": 0.9, "physical-education": 0.1},
    "central-school": {
        "primary-education": 0.5,
        "secondary-chinese": 0.1,
        "secondary-math": 0.1,
        "secondary-english": 0.08,
        "secondary-science": 0.14,
        "physical-education": 0.08,
    },
    "agri-station": {"agronomy": 0.6, "plant-protection": 0.4},
    "vet-station": {"veterinary": 0.65, "animal-husbandry": 0.35},
    "water-station": {"hydraulic-engineering": 0.7, "surveying": 0.3},
}
UNIT_CATEGORY: dict[str, str] = {
    "general-hospital": "hospital",
    "tcm-hospital": "hospital",
    "mch-hospital": "hospital",
    "health-centre": "health-centre",
    "middle-school": "school",
    "primary-school": "school",
    "central-school": "school",
    "agri-station": "agri-station",
    "vet-station": "vet-station",
    "water-station": "water-station",
}
UNIT_KINDS: tuple[str, ...] = tuple(UNIT_FIELD_MIX)

# Share of a county's public-institution staff per unit category (teachers are the largest group).
CATEGORY_SHARE: dict[str, float] = {
    "hospital": 0.30,
    "health-centre": 0.12,
    "school": 0.45,
    "agri-station": 0.05,
    "vet-station": 0.03,
    "water-station": 0.05,
}

PUBLIC_TITLES: tuple[str, ...] = (
    "Political theory and current policy",
    "Law for public institutions",
    "Professional ethics and integrity",
    "Digital skills and data security",
    "Mental health at work",
    "Work safety and emergency response",
    "Rural revitalisation strategy",
    "Innovation and scientific literacy",
    "Confidentiality and archives management",
    "Public communication and media literacy",
    "Ecological civilisation",
    "Service quality and citizen satisfaction",
    "Personal information protection",
    "Reform of public institutions",
    "Artificial intelligence for public service",
    "Fire safety and first aid",
    "Anti-fraud awareness",
    "Writing official documents",
    "Traditional culture and etiquette",
    "Team leadership for frontline staff",
)

FIELD_TOPICS: dict[str, tuple[str, ...]] = {
    "clinical-medicine": (
        "Rational use of antibiotics",
        "Chronic disease management",
        "Emergency and critical care update",
        "Diagnostic imaging for clinicians",
        "Clinical guideline update",
        "Medical record quality",
        "Cardiovascular disease update",
        "Common paediatric diseases",
    ),
    "nursing": (
        "Infection prevention and control",
        "Wound and stoma care",
        "Critical care nursing",
        "Geriatric nursing",
        "Nursing documentation",
        "Patient safety and handover",
        "Maternal and newborn care",
        "Pain management",
    ),
    "pharmacy": (
        "Prescription review",
        "Drug interactions",
        "Hospital pharmacy management",
        "Antimicrobial stewardship",
        "Clinical pharmacy rounds",
    ),
    "medical-technology": (
        "Laboratory quality control",
        "Ultrasound techniques",
        "Radiation protection",
        "Point-of-care testing",
        "Imaging equipment maintenance",
    ),
    "public-health": (
        "Infectious disease reporting",
        "Immunisation programme",
        "Chronic disease screening",
        "Health education methods",
        "Outbreak investigation",
    ),
    "traditional-chinese-medicine": (
        "Acupuncture techniques",
        "TCM syndrome differentiation",
        "Herbal prescription practice",
        "Tuina and rehabilitation",
        "TCM in chronic disease",
    ),
    "primary-education": (
        "Reading instruction in the early grades",
        "Classroom management",
        "Homework design",
        "Mathematical thinking in primary school",
        "Home-school communication",
        "Project-based learning",
    ),
    "secondary-chinese": (
        "Whole-book reading",
        "Teaching classical Chinese",
        "Writing instruction",
        "Curriculum standards for Chinese",
    ),
    "secondary-math": (
        "Functions and modelling",
        "Geometry with dynamic software",
        "Teaching problem solving",
        "Curriculum standards for mathematics",
    ),
    "secondary-english": (
        "Listening and speaking instruction",
        "Reading strategies",
        "Grammar in context",
        "Curriculum standards for English",
    ),
    "secondary-science": (
        "Inquiry-based laboratory teaching",
        "Physics experiments",
        "Chemistry laboratory safety",
        "Biology fieldwork",
        "Interdisciplinary STEM units",
    ),
    "physical-education": (
        "Physical fitness testing",
        "Sports injury prevention",
        "Teaching ball games",
        "Designing break-time activities",
    ),
    "agronomy": (
        "Green high-yield grain production",
        "Soil testing and fertiliser advice",
        "Greenhouse vegetable cultivation",
        "Variety trials and seed quality",
        "High-standard farmland construction",
    ),
    "plant-protection": (
        "Pest and disease forecasting",
        "Safe pesticide use",
        "Integrated pest management",
        "Drone spraying operations",
    ),
    "veterinary": (
        "African swine fever prevention",
        "Animal quarantine procedures",
        "Veterinary drug residue control",
        "Zoonosis prevention",
    ),
    "animal-husbandry": (
        "Feed and nutrition",
        "Manure recycling",
        "Breeding improvement",
        "Grassland management",
    ),
    "hydraulic-engineering": (
        "Flood control and emergency response",
        "Reservoir safety inspection",
        "Rural drinking water projects",
        "Maintenance of small hydraulic works",
        "Irrigation district modernisation",
    ),
    "surveying": (
        "GNSS surveying",
        "Hydrological monitoring",
        "Engineering surveys with drones",
        "GIS for water resources",
    ),
}

# Professional courses open to every field (fields cell blank), with their organizer (blank = unnamed).
OPEN_PROFESSIONAL: tuple[tuple[str, str], ...] = (
    ("Research methods and academic writing", "Science and technology association"),
    ("Statistics for practitioners", ""),
    ("Teaching and mentoring new colleagues", "Science and technology association"),
)

# Venue kinds: (name pattern, capacity range). "{place}" is the zone's display name.
VENUE_KINDS: dict[str, tuple[str, int, int]] = {
    "PARTY": ("{place} party school hall", 150, 250),
    "TRAIN": ("{place} vocational training centre", 80, 150),
    "HOSP": ("{place} people's hospital lecture hall", 60, 120),
    "SCHOOL": ("{place} teachers' college hall", 80, 200),
    "AGRI": ("{place} agricultural extension classroom", 40, 80),
    "MEET": ("{place} township meeting room", 30, 60),
}
SEAT_VENUES: tuple[str, ...] = ("PARTY", "TRAIN", "HOSP", "SCHOOL", "AGRI")
TOWN_VENUES: tuple[str, ...] = ("MEET",)
ONLINE_VENUE = ("V-ONLINE", "Live online classroom", 300, 500)
ONLINE_ZONE = "online"  # the online classroom's zone: 0 travel minutes from every other zone

# Which venue kinds each organizer books (plus township rooms and the online classroom).
ORGANIZER_VENUES: dict[str, tuple[str, ...]] = {
    PUBLIC_ORGANIZER: ("PARTY", "TRAIN", "MEET"),
    "Health bureau": ("HOSP", "TRAIN", "MEET"),
    "Education bureau": ("SCHOOL", "TRAIN", "MEET"),
    "Agriculture bureau": ("AGRI", "TRAIN", "MEET"),
    "Water bureau": ("AGRI", "TRAIN", "MEET"),
    "Science and technology association": ("TRAIN", "PARTY", "MEET"),
    "": ("TRAIN", "MEET"),
}

# Typical class size (seats per session) an organizer plans for.
ORGANIZER_CLASS_SIZE: dict[str, tuple[int, int]] = {
    PUBLIC_ORGANIZER: (40, 110),
    "Health bureau": (25, 70),
    "Education bureau": (30, 80),
    "Agriculture bureau": (20, 50),
    "Water bureau": (15, 40),
    "Science and technology association": (30, 80),
    "": (30, 60),
}

# Share of an organizer's sessions held on weekday evenings, at weekends and on weekday daytime.
ORGANIZER_TIMING: dict[str, tuple[float, float, float]] = {
    PUBLIC_ORGANIZER: (0.35, 0.35, 0.30),
    "Health bureau": (0.35, 0.35, 0.30),
    "Education bureau": (0.40, 0.50, 0.10),
    "Agriculture bureau": (0.30, 0.30, 0.40),
    "Water bureau": (0.30, 0.30, 0.40),
    "Science and technology association": (0.40, 0.40, 0.20),
    "": (0.40, 0.40, 0.20),
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰玉萍红建华文辉力志海燕波宁晶鹏飞雪梅琳慧颖佳欣宇浩然"
)
