"""Built-in word lists for the demo store.

Small and fixed so that the demo needs no third-party faker at run time and a
seeded ``random.Random`` draws the same store every time. Phone numbers use
the 555-01xx range and e-mail domains the reserved ``.example`` top-level
domain, so no demo contact can ever reach a real person.
"""

FIRST_NAMES = (
    "Aaliyah", "Aarav", "Abigail", "Adam", "Aiden", "Alexander", "Alice", "Amara",
    "Amelia", "Ana", "André", "Anika", "Arjun", "Aurora", "Ava", "Benjamin",
    "Caleb", "Camille", "Charlotte", "Chloé", "Daniel", "David", "Elena", "Eli",
    "Elijah", "Ella", "Emily", "Emma", "Ethan", "Evelyn", "Fatima", "Félix",
    "Gabriel", "Grace", "Hana", "Hannah", "Harper", "Henry", "Isaac", "Isabella",
    "Jack", "Jacob", "James", "Jasmine", "Jayden", "Julien", "Kai", "Layla",
    "Leah", "Léa", "Liam", "Lily", "Logan", "Lucas", "Luna", "Maya", "Mateo",
    "Mia", "Mohammed", "Nathan", "Noah", "Nora", "Olivia", "Omar", "Owen",
    "Priya", "Rafael", "Rohan", "Rosalie", "Samuel", "Santiago", "Sara", "Sofia",
    "Sophie", "Theo", "Thomas", "Victoria", "William", "Wei", "Yusuf", "Zara",
    "Zoé",
)  # fmt: skip

LAST_NAMES = (
    "Ahmed", "Anderson", "Bélanger", "Bouchard", "Brown", "Campbell", "Chen",
    "Cohen", "Côté", "Das", "Davis", "Dubois", "Fernandes", "Fraser", "Gagnon",
    "Garcia", "Gauthier", "Gill", "Grant", "Hall", "Harris", "Hassan", "Ho",
    "Hughes", "Ibrahim", "Johnson", "Jones", "Kaur", "Kelly", "Khan", "Kim",
    "Lam", "Lapointe", "Lavoie", "Lee", "Leblanc", "Li", "Liu", "MacDonald",
    "Martin", "Mensah", "Miller", "Moreau", "Morin", "Murphy", "Nguyen",
    "Novak", "O'Brien", "Okafor", "Park", "Patel", "Pelletier", "Reid",
    "Robinson", "Roy", "Santos", "Scott", "Sharma", "Silva", "Singh", "Smith",
    "Stewart", "Tanaka", "Taylor", "Thompson", "Tremblay", "Walker", "Wang",
    "White", "Williams", "Wilson", "Wong", "Wright", "Yang", "Young", "Zhang",
)  # fmt: skip

# Reserved top-level domain (RFC 2606): plausible, never deliverable.
EMAIL_DOMAINS = (
    "mail.example", "inbox.example", "northmail.example", "maple.example",
    "post.example", "webmail.example",
)  # fmt: skip

STREETS = (
    "Maple", "Oak", "Cedar", "Birch", "Elm", "Pine", "Willow", "King", "Queen",
    "Church", "Main", "Park", "Lakeshore", "Victoria", "Wellington", "Dundas",
    "Bloor", "College", "Sherbrooke", "Rideau", "Portage", "Jasper", "Granville",
    "Robson", "Barrington", "Spring Garden", "Water", "Mill", "River", "Hillcrest",
)  # fmt: skip
STREET_KINDS = ("Street", "Avenue", "Road", "Drive", "Crescent", "Boulevard", "Way")

# (city, province, first letter of its postal codes, phone area codes)
CITIES = (
    ("Toronto", "ON", "M", ("416", "647")),
    ("Ottawa", "ON", "K", ("613",)),
    ("Hamilton", "ON", "L", ("905",)),
    ("Montréal", "QC", "H", ("514", "438")),
    ("Québec", "QC", "G", ("418",)),
    ("Vancouver", "BC", "V", ("604", "778")),
    ("Victoria", "BC", "V", ("250",)),
    ("Calgary", "AB", "T", ("403", "587")),
    ("Edmonton", "AB", "T", ("780",)),
    ("Winnipeg", "MB", "R", ("204",)),
    ("Halifax", "NS", "B", ("902",)),
    ("Saskatoon", "SK", "S", ("306",)),
)
POSTAL_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"

POSITIONS = {
    "manager": "Store manager",
    "clerk": "Sales clerk",
    "warehouse": "Warehouse lead",
}
OTHER_POSITIONS = (
    "Sales associate", "Sales associate", "Sales associate", "Cashier", "Cashier",
    "Stock clerk", "Customer service", "Visual merchandiser", "Assistant manager",
)  # fmt: skip

ORDER_NOTES = (
    "Gift wrap, please.",
    "Call before delivery.",
    "Leave at the side door.",
    "Pickup in store.",
    "Fragile items, handle with care.",
    "Customer asked for a paper invoice.",
    "Deliver after 5 pm.",
    "Part of a wedding registry.",
)

ADJECTIVES = (
    "Classic", "Everyday", "Deluxe", "Compact", "Rustic", "Modern", "Nordic",
    "Vintage", "Premium", "Essential", "Handmade", "Organic", "Heritage",
    "Coastal", "Urban", "Mini", "Large", "Eco", "Signature", "Studio",
)  # fmt: skip
VARIANTS = (
    "", "", "", "— black", "— white", "— natural", "— blue", "— sage",
    "— set of 2", "— set of 4", "— small", "— large",
)  # fmt: skip

# name, SKU prefix, (lowest, highest) price, nouns
CATEGORIES = (
    ("Kitchen", "KIT", (4, 180), (
        "chef's knife", "cutting board", "saucepan", "frying pan", "mixing bowl",
        "spatula", "colander", "kettle", "measuring cups", "salad spinner",
    )),
    ("Home decor", "DEC", (8, 250), (
        "throw pillow", "table lamp", "wall clock", "picture frame", "vase",
        "candle holder", "mirror", "wool throw", "planter", "rug",
    )),
    ("Garden", "GAR", (3, 150), (
        "trowel", "watering can", "pruning shears", "seed kit", "hose nozzle",
        "garden gloves", "raised bed", "bird feeder", "terracotta pot", "rake",
    )),
    ("Stationery", "STA", (2, 60), (
        "notebook", "fountain pen", "sketchbook", "desk organizer", "planner",
        "pencil set", "washi tape", "letter set", "bookmark", "journal",
    )),
    ("Toys & games", "TOY", (5, 120), (
        "puzzle", "board game", "building blocks", "plush bear", "kite",
        "card game", "wooden train", "science kit", "yo-yo", "marble run",
    )),
    ("Books", "BOO", (10, 65), (
        "cookbook", "field guide", "atlas", "novel", "poetry collection",
        "children's book", "travel guide", "art book", "biography", "anthology",
    )),
    ("Electronics accessories", "ELE", (9, 200), (
        "USB-C cable", "power bank", "phone stand", "wireless charger",
        "earbuds", "laptop sleeve", "surge protector", "webcam cover",
        "Bluetooth speaker", "keyboard",
    )),
    ("Bath & body", "BAT", (4, 70), (
        "soap bar", "bath towel", "hand cream", "shampoo", "loofah", "bath salts",
        "lip balm", "body lotion", "shower curtain", "bath mat",
    )),
    ("Pet supplies", "PET", (4, 130), (
        "dog leash", "cat toy", "pet bed", "food bowl", "chew toy", "grooming brush",
        "litter scoop", "treat jar", "collar", "pet blanket",
    )),
    ("Sports & outdoors", "SPO", (6, 300), (
        "yoga mat", "water bottle", "camping lantern", "day pack", "jump rope",
        "trekking poles", "sleeping bag", "frisbee", "hammock", "cooler",
    )),
    ("Lighting", "LIG", (7, 220), (
        "LED bulb", "floor lamp", "string lights", "desk lamp", "night light",
        "pendant shade", "reading light", "lantern", "wall sconce", "dimmer",
    )),
    ("Tools & hardware", "TOO", (4, 260), (
        "screwdriver set", "hammer", "tape measure", "cordless drill", "level",
        "utility knife", "socket set", "stud finder", "work gloves", "toolbox",
    )),
    ("Coffee & tea", "COF", (5, 160), (
        "coffee beans", "tea sampler", "French press", "pour-over cone",
        "tea infuser", "travel mug", "grinder", "espresso cups", "loose-leaf tea",
        "milk frother",
    )),
    ("Apparel", "APP", (9, 190), (
        "wool socks", "toque", "scarf", "rain jacket", "flannel shirt", "mittens",
        "tote bag", "hoodie", "sun hat", "apron",
    )),
    ("Crafts", "CRA", (2, 90), (
        "yarn", "knitting needles", "paint set", "brush set", "embroidery kit",
        "clay", "glue gun", "fabric bundle", "bead kit", "stencil set",
    )),
    ("Travel", "TRA", (6, 280), (
        "packing cubes", "neck pillow", "luggage tag", "carry-on", "passport wallet",
        "travel adapter", "toiletry bag", "luggage scale", "eye mask", "duffel bag",
    )),
)  # fmt: skip

# The demo's tax classes: (name, ((rate name, rate), ...)). Most goods in
# Quebec pay GST and QST; basic groceries are zero-rated, printed books pay
# the GST only.
QUEBEC = "Quebec (GST + QST)"
ZERO_RATED = "Zero-rated (basic groceries)"
GST_ONLY = "Books (GST only)"
TAX_CLASSES = (
    (QUEBEC, (("GST", "0.05"), ("QST", "0.09975"))),
    (ZERO_RATED, ()),
    (GST_ONLY, (("GST", "0.05"),)),
)
# The class of each category's products; the others are QUEBEC's.
CATEGORY_TAX_CLASS = {"Coffee & tea": ZERO_RATED, "Books": GST_ONLY}

# Reasons for the discounts on some orders.
DISCOUNT_REASONS = (
    "Loyal client",
    "Staff purchase",
    "Opened box",
    "Price match",
    "Spring sale",
    "",
)
