"""Multilingual lexicons for the data-quality engine (WCO E-Commerce FoS, Standard 3).

Two questions are answered here, without any database:

* ``is_vague``: is a goods description too vague to identify the goods? Customs administrations
  (WCO, EU, CBP, UPU) publish the same list of unacceptable descriptions in every language:
  "gift", "parts", "clothes", "goods", "accessories", "sample"... A description is vague when,
  once normalised, nothing is left but such terms and their usual qualifiers.
* ``hs_chapters_for_description``: which HS chapters can a description plausibly belong to? A
  keyword lexicon maps product nouns (English, French, Spanish, German, with a few Italian and
  Portuguese words) to chapters. It is deliberately lenient: an empty answer means "unknown",
  and accessory words whose chapter depends on the material ("holder", "strap") make the answer
  unknown, so that a mismatch finding is only raised when the description clearly names a
  product of another chapter.

Terms are written naturally (accents, capitals) and normalised once at import by the same
function that normalises descriptions, so the lists stay readable and can be extended safely.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Function words dropped before judging a description (EN, FR, ES, DE, IT, PT). French "thé"
# normalises to "the" and is lost, an accepted price for a simple, language-blind normaliser.
_STOPWORDS_BY_LANGUAGE: dict[str, str] = {
    "en": "a an the of for and or with without in on to by from my your his her our their this that "
    "these those some any all its it as at is are be very",
    "fr": "le la les un une des du de et ou pour avec sans en au aux sur par ce cet cette ces mon ma "
    "mes son sa ses",
    "es": "el los las uno una unos unas del y o para con sin por al su sus mi mis",
    "de": "der die das den dem des ein eine einen einem einer und oder fur mit ohne von zu im auf "
    "aus bei als",
    "it": "il lo gli di da per",
    "pt": "os um uma do dos das ao com",
    # Counting words say how many, never what.
    "units": "pcs pc pz stk st units unit piece lot pack pair pairs paar par",
}
STOPWORDS: frozenset[str] = frozenset(
    word for words in _STOPWORDS_BY_LANGUAGE.values() for word in words.split()
)

_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4]")
_INNER_HYPHEN = re.compile(r"(?<=\w)[-\u2010\u2011](?=\w)")
_NON_WORD = re.compile(r"[\W_]+")
_QUANTITY = re.compile(r"^(?:x?\d+(?:[.,]\d+)?(?:x|pcs|pc|pz|stk|st|kg|g|ml|l|cm|mm|m)?)$")


def _fold(text: str) -> str:
    """Casefold and strip accents: "Pièces Détachées" -> "pieces detachees", "Hülle" -> "hulle"."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=8192)
def normalise_tokens(text: str) -> tuple[str, ...]:
    """Content tokens of a description: folded, punctuation removed, stopwords dropped.

    Hyphenated words are joined ("T-shirt" -> "tshirt"), apostrophes split words ("l'ordinateur"
    -> "ordinateur"), and single letters, bare numbers and quantities ("2x", "10pcs") dropped.
    """
    folded = _INNER_HYPHEN.sub("", _APOSTROPHES.sub(" ", _fold(text)))
    tokens = []
    for token in _NON_WORD.sub(" ", folded).split():
        if len(token) < 2 or token in STOPWORDS or _QUANTITY.match(token):
            continue
        tokens.append(token)
    return tuple(tokens)


def _folded_terms(terms: Iterable[str]) -> frozenset[str]:
    return frozenset(" ".join(normalise_tokens(term)) for term in terms if normalise_tokens(term))


# --- Vague descriptions -------------------------------------------------------------------------

VAGUE_TERMS_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "en": (
        "gift", "gifts", "present", "presents", "parts", "part", "spares", "clothes", "clothing",
        "garments", "apparel", "goods", "accessories", "accessory", "sample", "samples", "stuff",
        "items", "item", "merchandise", "product", "products", "things", "thing", "articles",
        "article", "package", "parcel", "commodity", "commodities", "effects", "belongings",
        "electronics", "equipment", "tools", "food", "machinery", "supplies", "materials",
        "material", "cargo", "consignment", "shipment", "order", "purchase",
    ),
    "fr": (
        "cadeau", "cadeaux", "pièces", "pièce", "vêtements", "vêtement", "habits", "marchandises",
        "marchandise", "accessoires", "accessoire", "échantillon", "échantillons", "produit",
        "produits", "articles", "objets", "objet", "trucs", "affaires", "effets", "colis",
        "électronique", "équipement", "outils", "nourriture", "fournitures", "commande",
    ),
    "es": (
        "regalo", "regalos", "obsequio", "piezas", "pieza", "repuestos", "recambios", "ropa",
        "prendas", "mercancía", "mercancías", "mercadería", "accesorios", "accesorio", "muestra",
        "muestras", "producto", "productos", "artículos", "artículo", "cosas", "efectos", "bienes",
        "paquete", "electrónica", "herramientas", "equipo", "comida", "pedido",
    ),
    "de": (
        "Geschenk", "Geschenke", "Teile", "Teil", "Ersatzteile", "Kleidung", "Bekleidung", "Waren",
        "Ware", "Zubehör", "Muster", "Warenprobe", "Probe", "Produkt", "Produkte", "Artikel",
        "Sachen", "Gegenstände", "Dinge", "Paket", "Elektronik", "Werkzeug", "Ausrüstung",
        "Lebensmittel", "Bestellung",
    ),
    "it": (
        "regali", "ricambi", "pezzi", "vestiti", "abbigliamento", "merce", "merci", "accessori",
        "campione", "campioni", "prodotti", "prodotto", "articoli", "oggetti",
    ),
    "pt": (
        "presente", "peças", "roupas", "roupa", "mercadoria", "mercadorias", "acessórios",
        "amostra", "amostras", "produtos", "coisas", "encomenda",
    ),
}  # fmt: skip

# Words that only qualify a vague term ("spare parts", "pièces détachées", "personal effects",
# "birthday gift"): they add nothing that identifies the goods.
VAGUE_QUALIFIERS: tuple[str, ...] = (
    "spare", "various", "assorted", "misc", "miscellaneous", "other", "others", "new", "used",
    "set", "sets", "bundle", "box", "boxes", "mystery", "surprise",
    "personal", "general", "small", "mixed", "free", "no", "commercial", "value", "household",
    "home", "birthday", "christmas", "friend", "family", "gifted", "sent", "genuine", "original",
    "détachées", "détachée", "divers", "diverses", "personnels", "personnelles", "nouveau",
    "nouveaux", "neuf", "usagé", "usagés", "petits", "anniversaire", "noël", "ami", "amie",
    "famille", "sans", "valeur", "commerciale",
    "varios", "varias", "diversos", "personales", "nuevo", "nueva", "nuevos", "usado", "usados",
    "cumpleaños", "navidad", "amigo", "amiga", "familia", "sin", "valor", "comercial",
    "verschiedene", "diverse", "persönliche", "neu", "neue", "gebraucht", "sonstige", "kleine",
    "Geburtstag", "Weihnachten", "Freund", "Familie", "kein", "Handelswert",
    "vari", "nuovi", "usati", "personali", "novos", "usados", "pessoais",
)  # fmt: skip

VAGUE_TERMS: frozenset[str] = _folded_terms(
    term for terms in VAGUE_TERMS_BY_LANGUAGE.values() for term in terms
)
_VAGUE_QUALIFIERS: frozenset[str] = _folded_terms(VAGUE_QUALIFIERS)


@lru_cache(maxsize=8192)
def is_vague(description: str) -> str | None:
    """Return the vague wording of a description, or None when it identifies the goods.

    A description is vague when, after normalisation (casefold, accents stripped, punctuation
    removed, stopwords dropped), it consists only of vague terms and their qualifiers in any of
    the supported languages ("gift", "Clothes", "pièces détachées", "Ersatzteile"), or when
    nothing is left at all ("...", "2 x"). The matched normalised wording is returned, e.g.
    ``"pieces detachees"``; "Women's cotton T-shirt, knitted" returns None.
    """
    tokens = normalise_tokens(description)
    if not tokens:
        return description.strip() or "(blank)"
    for token in tokens:
        if token not in VAGUE_TERMS and token not in _VAGUE_QUALIFIERS:
            return None
    # Only qualifiers ("new", "used", "divers") is vague too: nothing names the goods.
    return " ".join(tokens)


# --- Keywords -> plausible HS chapters -----------------------------------------------------------

# Each row: plausible chapters, then the keyword in several languages. A keyword may be a short
# phrase ("sac à dos"); phrases win over their words. Chapters are lists because the same noun
# covers goods of several chapters (a case is plastics 39 or leather 42; a camera 85 or 90).
_KEYWORD_ROWS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    # 85 electrical machinery and telecoms
    (("85",), ("phone", "telephone", "smartphone", "mobile phone", "cellphone", "iphone", "téléphone", "teléfono", "móvil", "celular", "Handy", "Telefon", "telefono", "telemovel")),
    (("85",), ("headphones", "headphone", "earphones", "earbuds", "headset", "écouteurs", "auriculares", "Kopfhörer", "cuffie")),
    (("85",), ("charger", "chargeur", "cargador", "Ladegerät", "caricabatterie", "power bank", "powerbank")),
    (("85",), ("battery", "batteries", "batterie", "batería", "bateria", "Akku", "Batterie", "pila")),
    (("85",), ("speaker", "enceinte", "altavoz", "Lautsprecher", "altoparlante")),
    (("85",), ("television", "tv", "téléviseur", "televisor", "Fernseher")),
    (("85",), ("hair dryer", "sèche-cheveux", "secador", "Haartrockner", "Föhn", "shaver", "rasoir", "afeitadora", "Rasierer")),
    (("85",), ("usb", "hdmi", "cable", "câble", "Kabel", "pen drive", "microphone", "micrófono", "Mikrofon", "router", "modem", "earpods", "airpods")),
    (("85", "90"), ("camera", "caméra", "appareil photo", "cámara", "Kamera", "webcam", "dashcam")),
    (("85", "91"), ("smartwatch", "smart watch", "montre connectée", "reloj inteligente")),
    (("85", "84", "30"), ("tablet", "tablette", "tableta")),
    (("85", "84"), ("ipad", "e-reader", "kindle", "screen", "display", "monitor", "écran", "pantalla", "Bildschirm")),
    (("85", "90"), ("fitness tracker", "activity tracker")),
    # "Electric" says the goods may be electrical machinery whatever else they are.
    (("85", "84"), ("electric", "electrical", "electronic", "électrique", "électronique", "eléctrico", "eléctrica", "elektrisch", "elektronisch")),
    (("84",), ("chainsaw", "chain saw", "tronçonneuse", "motosierra", "Kettensäge")),
    (("84",), ("laptop", "computer", "ordinateur", "ordenador", "portátil", "computadora", "Rechner", "notebook computer", "pc portable")),
    (("84", "92"), ("keyboard", "clavier", "teclado", "Tastatur")),
    (("84",), ("mouse", "souris", "ratón", "Maus", "printer", "imprimante", "impresora", "Drucker", "ssd", "hard drive", "disque dur")),
    (("84", "85"), ("drill", "perceuse", "taladro", "Bohrmaschine", "vacuum cleaner", "aspirateur", "aspiradora", "Staubsauger", "blender", "mixeur", "licuadora", "Mixer")),
    (("88", "95"), ("drone", "dron", "Drohne")),
    # 61-63 textiles, 64 footwear, 65 headgear
    (("61",), ("t-shirt", "tee shirt", "tshirt", "tee", "camiseta", "maglietta", "hoodie", "sweatshirt", "sweat", "leggings", "socks", "chaussettes", "calcetines", "Socken", "Strümpfe", "polo")),
    (("61", "62"), ("shirt", "chemise", "camisa", "Hemd", "blouse", "blusa", "Bluse", "dress", "robe", "vestido", "Kleid", "skirt", "jupe", "falda", "pullover", "sweater", "jumper", "pull", "jersey", "suéter", "Pulli")),
    (("61", "62"), ("trousers", "pants", "pantalon", "pantalón", "pantalones", "shorts", "jacket", "veste", "blouson", "chaqueta", "Jacke", "coat", "manteau", "abrigo", "Mantel", "underwear", "sous-vêtements", "lingerie", "pyjama", "pajamas", "swimsuit", "maillot", "bañador", "Badeanzug", "scarf", "écharpe", "bufanda", "Schal", "suit", "traje", "Anzug")),
    (("61", "62", "95"), ("costume", "disfraz", "Kostüm")),
    (("62",), ("jeans", "vaqueros", "bra", "soutien-gorge", "sujetador", "BH")),
    (("61", "62", "39", "40", "42", "43"), ("gloves", "gants", "guantes", "Handschuhe")),
    (("63",), ("towel", "serviette", "toalla", "Handtuch", "blanket", "couverture", "manta", "Decke", "curtain", "rideau", "cortina", "Vorhang", "bed sheet", "drap", "sábana", "Bettlaken", "pillowcase", "taie", "funda de almohada", "Kissenbezug")),
    (("64",), ("shoe", "shoes", "sneaker", "sneakers", "trainers", "boots", "boot", "sandals", "sandal", "slippers", "chaussure", "chaussures", "baskets", "bottes", "sandales", "pantoufles", "zapato", "zapatos", "zapatilla", "zapatillas", "botas", "sandalias", "Schuh", "Schuhe", "Turnschuhe", "Stiefel", "Sandalen", "Hausschuhe", "scarpe", "sapatos")),
    (("65",), ("hat", "baseball cap", "beanie", "chapeau", "casquette", "bonnet", "sombrero", "gorra", "gorro", "Hut", "Mütze", "Kappe", "helmet", "casco", "Helm")),
    (("65", "85"), ("casque",)),
    (("66",), ("umbrella", "parapluie", "paraguas", "Regenschirm")),
    (("67",), ("wig", "perruque", "peluca", "Perücke", "hair extensions", "artificial flowers", "fleurs artificielles")),
    # 39 / 42 cases, bags, leather goods
    (("39", "42", "63"), ("case", "coque", "étui", "funda", "carcasa", "Hülle", "Etui", "cover")),
    (("61", "62", "39", "40", "73", "84"), ("hose",)),
    (("42", "39", "48", "63"), ("bag", "sac", "bolsa", "Tasche", "Beutel")),
    (("42",), ("handbag", "sac à main", "bolso", "Handtasche", "backpack", "sac à dos", "mochila", "Rucksack", "wallet", "purse", "portefeuille", "porte-monnaie", "cartera", "monedero", "Geldbörse", "Portemonnaie", "suitcase", "valise", "maleta", "Koffer", "luggage", "borsa", "zaino")),
    (("42", "39", "40", "59", "61", "62", "71"), ("belt", "ceinture", "cinturón", "Gürtel")),
    # 91 watches, 71 jewellery, 90 optics and medical
    (("85", "91"), ("apple watch", "galaxy watch")),
    (("91",), ("watch", "wristwatch", "montre", "reloj", "Uhr", "Armbanduhr", "orologio", "clock", "horloge", "Wanduhr", "Wecker")),
    (("71",), ("jewelry", "jewellery", "bijoux", "bijou", "joyas", "joya", "Schmuck", "bague", "anillo", "necklace", "collier", "collar", "Halskette", "earrings", "boucles d'oreilles", "pendientes", "Ohrringe", "pendant", "pendentif", "colgante", "Anhänger", "gioielli")),
    (("71", "91"), ("bracelet", "pulsera", "Armband")),
    (("71", "73", "39", "40"), ("ring",)),
    (("71", "73", "87"), ("chain", "chaîne", "cadena", "Kette")),
    (("90", "70"), ("glasses", "verres", "vasos", "Gläser")),
    (("90",), ("lens", "lenses", "objectif", "lente", "Objektiv", "sunglasses", "eyeglasses", "spectacles", "lunettes", "gafas", "Brille", "Sonnenbrille", "occhiali", "contact lenses", "lentilles", "lentillas", "Kontaktlinsen", "thermometer", "thermomètre", "termómetro", "Thermometer", "microscope", "telescope", "binoculars", "jumelles", "prismáticos", "Fernglas")),
    # 30 / 33 / 34 pharmacy, cosmetics, candles
    (("33",), ("perfume", "parfum", "fragrance", "eau de toilette", "Duft", "profumo", "lipstick", "rouge à lèvres", "pintalabios", "Lippenstift", "makeup", "maquillage", "maquillaje", "Schminke", "mascara", "nail polish", "vernis à ongles", "esmalte", "Nagellack", "shampoo", "shampooing", "champú", "Shampoo", "deodorant", "déodorant", "desodorante", "Deo", "sunscreen", "crème solaire", "cosmetics", "cosmétiques", "cosméticos", "Kosmetik")),
    (("30",), ("medicine", "medicines", "médicament", "médicaments", "medicamento", "medicamentos", "Medikament", "Medikamente", "Arzneimittel", "pills", "pilules", "pastillas", "Tabletten", "insulin", "insuline", "insulina")),
    (("30", "29"), ("antibiotics", "antibiotiques", "antibióticos", "Antibiotika")),
    (("21", "30", "29", "04", "35"), ("vitamin", "vitamins", "vitamines", "vitaminas", "Vitamine", "supplement", "supplements", "complément alimentaire", "suplemento", "Nahrungsergänzungsmittel", "protein powder", "whey")),
    (("34",), ("candle", "candles", "bougie", "bougies", "vela", "velas", "Kerze", "Kerzen", "soap", "savon", "jabón", "Seife")),
    # 49 printed matter, 48 paper, 96 miscellaneous manufactured, 92 music, 95 toys and sport
    (("49",), ("book", "books", "livre", "livres", "libro", "libros", "Buch", "Bücher", "magazine", "revue", "revista", "Zeitschrift", "comic", "manga", "bande dessinée", "poster", "affiche", "calendar", "calendrier", "calendario", "Kalender", "postcard", "carte postale", "Postkarte")),
    (("48", "49"), ("notebook", "carnet", "cuaderno", "Notizbuch", "Heft", "diary", "agenda")),
    (("96",), ("pen", "pens", "stylo", "bolígrafo", "Kugelschreiber", "pencil", "crayon", "lápiz", "Bleistift", "lighter", "briquet", "mechero", "Feuerzeug", "toothbrush", "brosse à dents", "cepillo de dientes", "Zahnbürste", "comb", "peigne", "peine", "Kamm", "diaper", "diapers", "couches", "pañales", "Windeln")),
    (("92",), ("guitar", "guitare", "guitarra", "Gitarre", "piano", "violin", "violon", "violín", "Geige", "ukulele", "harmonica")),
    (("95",), ("toy", "toys", "jouet", "jouets", "juguete", "juguetes", "Spielzeug", "giocattolo", "brinquedo", "doll", "poupée", "muñeca", "Puppe", "puzzle", "lego", "plush", "peluche", "Plüschtier", "board game", "jeu de société", "juego de mesa", "Brettspiel", "playing cards", "video game", "jeu vidéo", "videojuego", "Videospiel", "game console", "console", "consola", "Spielkonsole", "fishing rod", "canne à pêche", "caña de pescar", "Angelrute", "dumbbell", "haltère", "mancuerna", "Hantel", "yoga mat", "tapis de yoga", "esterilla", "Yogamatte", "ball", "ballon", "balón", "pelota", "Ball")),
    (("87",), ("bicycle", "bike", "vélo", "bicicleta", "Fahrrad", "scooter", "trottinette", "patinete", "Tretroller", "stroller", "poussette", "cochecito", "Kinderwagen", "car seat")),
    (("40",), ("tyre", "tire", "tyres", "tires", "pneu", "pneus", "neumático", "neumáticos", "Reifen")),
    (("94",), ("chair", "chaise", "silla", "Stuhl", "sofa", "canapé", "Sofa", "mattress", "matelas", "colchón", "Matratze", "pillow", "oreiller", "almohada", "Kopfkissen", "Kissen", "furniture", "meubles", "muebles", "Möbel", "desk", "bureau", "escritorio", "Schreibtisch")),
    (("94", "85"), ("lamp", "lampe", "lámpara", "Lampe", "lampada", "light", "lights", "led", "lumière", "luz", "Licht", "light bulb", "ampoule", "bombilla", "Glühbirne")),
    (("82",), ("knife", "knives", "couteau", "cuchillo", "Messer", "scissors", "ciseaux", "tijeras", "Schere", "screwdriver", "tournevis", "destornillador", "Schraubendreher", "hammer", "marteau", "martillo", "Hammer", "pliers", "pince", "alicates", "Zange", "razor blades", "cutlery", "couverts", "cubiertos", "Besteck")),
    (("69", "70", "39", "73"), ("mug", "cup", "tasse", "taza", "Becher", "tazza")),
    (("73", "76", "69", "39", "70"), ("pan", "frying pan", "poêle", "sartén", "Pfanne", "pot", "casserole", "olla", "Topf")),
    (("70",), ("glass bottle", "vase", "jarrón", "Vase", "mirror", "miroir", "espejo", "Spiegel")),
    (("12",), ("seeds", "graines", "semillas", "Samen", "Saatgut")),
    (("09", "21"), ("coffee", "café", "Kaffee", "tea", "Tee", "spices", "épices", "especias", "Gewürze")),
    (("17", "18"), ("chocolate", "chocolat", "Schokolade", "cioccolato", "candy", "sweets", "bonbons", "caramelos", "caramels", "Süßigkeiten")),
    (("22",), ("wine", "vin", "vino", "Wein", "beer", "bière", "cerveza", "Bier", "whisky", "whiskey", "vodka", "rum", "ron", "gin", "liquor", "liqueur", "licor", "Likör", "sake", "spirits", "champagne", "champán", "Sekt")),
    (("24",), ("cigarettes", "cigarette", "cigarettes", "cigarrillos", "Zigaretten", "cigars", "cigares", "puros", "Zigarren", "tobacco", "tabac", "tabaco", "Tabak", "shisha", "hookah tobacco")),
    (("24", "85"), ("vape", "e-cigarette", "cigarette électronique", "cigarrillo electrónico", "E-Zigarette", "e-liquid", "vaporizer")),
    (("93", "95"), ("airsoft", "rifle", "fusil", "Gewehr", "crossbow", "arbalète", "ballesta", "Armbrust")),
)  # fmt: skip

# Accessory and part nouns whose chapter depends on the material or on the machine they fit:
# when one of these names the goods ("phone holder", "Handyhalterung", "watch strap"), the
# product keyword next to it no longer tells the chapter, so the answer is "unknown".
ACCESSORY_HEADS: tuple[str, ...] = (
    "holder", "stand", "mount", "bracket", "strap", "band", "protector", "screen protector",
    "film", "sticker", "stickers", "decal", "skin", "part", "parts", "spare", "replacement",
    "accessory", "accessories", "kit", "adapter", "organizer", "hook", "clip", "tripod", "dock",
    "support", "bracelet de montre", "ball bearing", "sleeve", "pouch", "lock", "pump", "rack",
    "shelf", "box", "container", "storage", "basket", "jar", "bottle", "tray", "polish", "cleaner",
    "brush", "laces", "insoles", "charm", "keychain", "key chain", "lanyard", "grip", "remover",
    "opener", "pad", "mat", "refill", "cartridge", "ink", "toner", "winder", "display case",
    # Goods for animals are classified by their material, not as the toys or clothes they mimic.
    "dog", "dogs", "cat", "cats", "pet", "pets", "puppy", "chien", "chat", "perro", "gato",
    "mascota", "Hund", "Katze", "Haustier", "animal", "animaux", "autocollant", "pièce", "pièces", "accessoire", "accessoires",
    "soporte", "correa", "protector de pantalla", "pegatina", "pieza", "piezas", "repuesto",
    "repuestos", "accesorio", "accesorios", "recambio",
    "Halterung", "Halter", "Ständer", "Schutzfolie", "Folie", "Aufkleber", "Teil",
    "Teile", "Ersatzteil", "Ersatzteile", "Zubehör", "Adapter",
)  # fmt: skip

# German builds compounds whose last element is the head noun ("Handyhülle" is a case,
# "Sportschuhe" are shoes): these heads are also recognised at the end of a longer word.
_GERMAN_COMPOUND_HEADS: tuple[str, ...] = (
    "hülle", "tasche", "schuh", "schuhe", "stiefel", "jacke", "hose", "hemd", "kleid", "mütze",
    "spielzeug", "puppe", "lampe", "kabel", "akku", "ladegerät", "kopfhörer", "brille", "buch",
    "bücher", "messer", "halterung", "halter", "ständer", "folie", "teile", "zubehör",
    "uhren", "armbanduhr", "rucksack", "socken", "handschuhe", "kette", "ohrringe",
)  # fmt: skip


def _build_keyword_index() -> dict[tuple[str, ...], frozenset[str]]:
    index: dict[tuple[str, ...], frozenset[str]] = {}
    for chapters, keywords in _KEYWORD_ROWS:
        for keyword in keywords:
            tokens = normalise_tokens(keyword)
            if tokens:
                index[tokens] = index.get(tokens, frozenset()) | frozenset(chapters)
    return index


HS_KEYWORDS: dict[tuple[str, ...], frozenset[str]] = _build_keyword_index()
_ACCESSORY_HEADS: frozenset[tuple[str, ...]] = frozenset(
    normalise_tokens(head) for head in ACCESSORY_HEADS if normalise_tokens(head)
)
_COMPOUND_HEADS: tuple[str, ...] = tuple(
    sorted(
        {" ".join(normalise_tokens(head)) for head in _GERMAN_COMPOUND_HEADS},
        key=len,
        reverse=True,
    )
)
_MAX_PHRASE = max(len(key) for key in (*HS_KEYWORDS, *_ACCESSORY_HEADS))


@lru_cache(maxsize=16384)
def _singular_forms(token: str) -> tuple[str, ...]:
    """The token and its likely singulars (EN/FR/ES/DE plural endings), most specific first."""
    forms = [token]
    if len(token) > 3 and token.endswith("s"):
        forms.append(token[:-1])
    if len(token) > 4:
        if token.endswith("ies"):
            forms.append(token[:-3] + "y")
        if token.endswith("es"):
            forms.append(token[:-2])
        if token.endswith(("e", "n")):
            forms.append(token[:-1])
        if token.endswith(("en", "er")):
            forms.append(token[:-2])
    return tuple(forms)


@lru_cache(maxsize=16384)
def _lookup_word(token: str) -> tuple[str, frozenset[str] | None] | None:
    """Match one token (exact, singular, or German compound head) against both lexicons.

    Returns ("product", chapters) for a product noun, ("accessory", None) for an accessory head,
    or None when the word is not in the lexicon.
    """
    for form in _singular_forms(token):
        key = (form,)
        if key in _ACCESSORY_HEADS:
            return ("accessory", None)
        if key in HS_KEYWORDS:
            return ("product", HS_KEYWORDS[key])
    for head in _COMPOUND_HEADS:
        if len(token) > len(head) + 2 and token.endswith(head):
            return _lookup_word(head)
    return None


@lru_cache(maxsize=8192)
def hs_chapters_for_description(description: str) -> frozenset[str]:
    """Plausible 2-digit HS chapters for a description, from the multilingual keyword lexicon.

    The union of the chapters of every product keyword found ("Phone case" -> 85, 39, 42, 63).
    An empty set means unknown: no keyword found, or an accessory noun ("holder", "strap",
    "Halterung") whose chapter depends on material, so no consistency finding should be drawn.
    """
    tokens = normalise_tokens(description)
    chapters: set[str] = set()
    position = 0
    while position < len(tokens):
        matched = False
        for length in range(min(_MAX_PHRASE, len(tokens) - position), 1, -1):
            phrase = tokens[position : position + length]
            for last in _singular_forms(phrase[-1]):
                candidate = (*phrase[:-1], last)
                if candidate in _ACCESSORY_HEADS:
                    return frozenset()
                if candidate in HS_KEYWORDS:
                    chapters |= HS_KEYWORDS[candidate]
                    matched = True
                    break
            if matched:
                position += length
                break
        if matched:
            continue
        found = _lookup_word(tokens[position])
        if found is not None:
            kind, word_chapters = found
            if kind == "accessory":
                return frozenset()
            chapters |= word_chapters or frozenset()
        position += 1
    return frozenset(chapters)


@lru_cache(maxsize=8192)
def comparable_terms(description: str) -> frozenset[str]:
    """Every token of a description with its likely singulars, so that two descriptions share
    a term when they share a word in any number ("shoes" and "shoe" both yield "shoe")."""
    return frozenset(
        form for token in normalise_tokens(description) for form in _singular_forms(token)
    )
