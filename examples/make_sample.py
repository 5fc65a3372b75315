"""Generate the bundled English->Spanish sample: parallel sentences with gold NER spans on both sides.

    python examples/make_sample.py            # writes spacy_xlt/data/en_es_sample.jsonl
    python examples/make_sample.py --out X    # writes X instead

Every pair comes from a hand-written template: an English sentence and its Spanish translation
with the same entity slots. Slots are filled from name lists (people from many cultures, with
their gender, countries with their demonyms in four Spanish forms, cities, organisations with
their Spanish names and articles, events, prizes, languages), and the Spanish side agrees with
what fills them: articles and their contractions (de + el = del), gender and number of nouns,
adjectives and verbs, y -> e before /i/. Both sides are tokenized with spaCy's blank "en" and
"es" tokenizers and every entity must fall on token boundaries, so the words are exactly what
spaCy gives and the target spans are the gold projection of the source spans.

Deterministic: the same seed gives byte-identical output (a test checks it).

Template syntax (one string per language):
    {p1}          entity in slot p1, with its article where the language needs one
    {p1.bare}     without the article          {c1.cap}   capital city of country c1 (LOC)
    {p1.last}     a person's surname (PER)      {c1.dem}   demonym (MISC); in Spanish give the
    {p1.poss}     English possessive (X's)                 form: {c1.dem:m|f|mp|fp} or {c1.dem:p1}
    {c1:MISC}     the entity with another label (a projection keeps the source label)
    {g:p1:A|B}    A if person p1 is male, else B ({g:p1+p2:A|B}: B only if all are female)
    {n:o1:A|B}    A if o1 is singular in Spanish, else B
    {=ORG:UNESCO} a literal entity
    {num} {num2} {big} {dec} {bn} {mag} {yr} {fyr} {mon} {dow} {date}   numbers and dates
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

SEED = 20240611
N_ROUNDS = 4
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "spacy_xlt" / "data" / "en_es_sample.jsonl"

# --------------------------------------------------------------------------------------------
# People: first names by gender and surnames, per culture. "eastern" puts the family name first.
# --------------------------------------------------------------------------------------------
CULTURES: Dict[str, dict] = {
    "kenya": dict(m=["Baraka", "Kiprono", "Daniel", "Otieno"], f=["Wanjiru", "Achieng", "Chebet", "Nyambura"],
                  last=["Kamau", "Njoroge", "Kiprotich", "Wekesa", "Odhiambo", "Mutua"]),
    "ethiopia": dict(m=["Tesfaye", "Dawit", "Yonas", "Henok"], f=["Tigist", "Meseret", "Almaz", "Hiwot"],
                     last=["Gebremariam", "Tadesse", "Alemu", "Bekele", "Wolde"]),
    "nigeria": dict(m=["Chinedu", "Oluwaseun", "Emeka", "Babatunde"], f=["Ngozi", "Adaeze", "Funmilayo", "Yewande"],
                    last=["Okafor", "Adeyemi", "Eze", "Balogun", "Nwosu", "Okonkwo"]),
    "ghana": dict(m=["Kwame", "Kofi", "Yaw", "Kwabena"], f=["Akosua", "Ama", "Efua", "Abena"],
                  last=["Mensah", "Boateng", "Asante", "Owusu", "Appiah"]),
    "senegal": dict(m=["Moussa", "Cheikh", "Ousmane", "Mamadou"], f=["Aminata", "Fatou", "Awa", "Khady"],
                    last=["Diop", "Ndiaye", "Sow", "Fall", "Sarr"]),
    "rwanda": dict(m=["Emmanuel", "Olivier", "Eric", "Patrick"], f=["Aline", "Diane", "Clarisse", "Solange"],
                   last=["Uwimana", "Habimana", "Mugisha", "Niyonzima", "Ndayisaba"]),
    "uganda": dict(m=["Joseph", "Ronald", "Isaac", "Moses"], f=["Esther", "Grace", "Harriet", "Irene"],
                   last=["Okello", "Ssempala", "Kato", "Mukasa", "Byaruhanga"]),
    "tanzania": dict(m=["Juma", "Hamisi", "Baraka", "Salim"], f=["Neema", "Rehema", "Zawadi", "Upendo"],
                     last=["Mwakyusa", "Mushi", "Massawe", "Lyimo"]),
    "southern": dict(m=["Thabo", "Sipho", "Tendai", "Lwazi"], f=["Nomvula", "Thandiwe", "Lerato", "Rudo"],
                     last=["Dlamini", "Nkosi", "Moyo", "Mahlangu", "Khumalo", "Chikwanha"]),
    "arabic": dict(m=["Youssef", "Karim", "Omar", "Tariq"], f=["Fatima", "Leila", "Yasmin", "Nour"],
                   last=["El Amrani", "Haddad", "Benali", "Mansour", "Nasser", "Khoury"]),
    "latam": dict(m=["Alejandro", "Joaquín", "Mateo", "Diego", "Luis Fernando"],
                  f=["Valentina", "Camila", "Ximena", "María José", "Luciana"],
                  last=["Hernández", "Rodríguez", "Castillo", "Gómez Herrera", "Fuentes", "Salazar"]),
    "andean": dict(m=["Wilber", "Efraín", "Rubén"], f=["Yolanda", "Rosa", "Nélida"],
                   last=["Quispe", "Mamani", "Condori", "Huamán", "Choque"]),
    "lusophone": dict(m=["João", "Thiago", "Rafael", "Gonçalo"], f=["Beatriz", "Larissa", "Mariana", "Inês"],
                      last=["da Silva", "Oliveira", "Souza", "Ferreira", "Carvalho"]),
    "spain": dict(m=["Javier", "Pablo", "Iñaki", "Jordi"], f=["Lucía", "Carmen", "Nerea", "Montserrat"],
                  last=["García", "Martínez", "Etxeberria", "Puig", "Navarro"]),
    "france": dict(m=["Pierre", "Julien", "Mathieu"], f=["Claire", "Camille", "Élodie"],
                   last=["Dubois", "Lefèvre", "Moreau", "Girard"]),
    "germany": dict(m=["Lukas", "Jonas", "Matthias"], f=["Anna", "Katharina", "Lena"],
                    last=["Müller", "Schneider", "Fischer", "Weber", "Brunner"]),
    "italy": dict(m=["Matteo", "Lorenzo", "Giovanni"], f=["Giulia", "Chiara", "Francesca"],
                  last=["Rossi", "Esposito", "Romano", "Ricci"]),
    "poland": dict(m=["Piotr", "Łukasz", "Tomasz"], f=["Agnieszka", "Katarzyna", "Magdalena"],
                   last=["Kowalski", "Nowak", "Wiśniewski", "Zieliński"],
                   fem={"Kowalski": "Kowalska", "Wiśniewski": "Wiśniewska", "Zieliński": "Zielińska"}),
    "nordic": dict(m=["Sven", "Magnus", "Søren", "Erik"], f=["Ingrid", "Astrid", "Freja", "Sigrid"],
                   last=["Lindqvist", "Andersson", "Jensen", "Haugen", "Berg"]),
    "greece": dict(m=["Dimitris", "Nikos", "Giorgos"], f=["Eleni", "Maria", "Katerina"],
                   last=["Papadopoulos", "Georgiou", "Nikolaidis"],
                   fem={"Papadopoulos": "Papadopoulou", "Nikolaidis": "Nikolaidou"}),
    "dutch": dict(m=["Daan", "Sem", "Pieter"], f=["Sanne", "Femke", "Anouk"],
                  last=["van der Berg", "de Vries", "Bakker", "Visser", "de Jong"]),
    "uk": dict(m=["Oliver", "Callum", "Liam", "Rhys"], f=["Siobhán", "Emily", "Niamh", "Charlotte"],
               last=["O'Brien", "Walsh", "Evans", "Hughes", "Murphy", "MacLeod"]),
    "turkey": dict(m=["Emre", "Mehmet", "Burak"], f=["Elif", "Zeynep", "Ayşe"],
                   last=["Yılmaz", "Demir", "Kaya", "Öztürk", "Çelik"]),
    "japan": dict(m=["Hiroshi", "Kenji", "Takumi", "Haruto"], f=["Yuki", "Aiko", "Sakura", "Mei"],
                  last=["Tanaka", "Sato", "Suzuki", "Watanabe", "Nakamura"], order="eastern"),
    "china": dict(m=["Wei", "Jianguo", "Hao"], f=["Xiaoling", "Mei", "Yan"],
                  last=["Wang", "Chen", "Zhang", "Liu", "Huang"], order="eastern"),
    "korea": dict(m=["Min-jun", "Ji-hoon", "Seo-jun"], f=["Soo-jin", "Ji-woo", "Ha-eun"],
                  last=["Kim", "Park", "Lee", "Choi", "Jung"], order="eastern"),
    "vietnam": dict(m=["Van Minh", "Duc Anh", "Quang Huy"], f=["Thi Lan", "Thu Trang", "Ngoc Anh"],
                    last=["Nguyen", "Tran", "Pham", "Le"], order="eastern"),
    "india": dict(m=["Arjun", "Rohan", "Vikram", "Anand"], f=["Priya", "Ananya", "Kavya", "Deepika"],
                  last=["Sharma", "Patel", "Iyer", "Reddy", "Banerjee"]),
    "nepal": dict(m=["Bikash", "Suman", "Prakash"], f=["Sunita", "Anjali", "Sabina"],
                  last=["Shrestha", "Gurung", "Thapa", "Tamang"]),
    "pakistan": dict(m=["Imran", "Bilal", "Usman"], f=["Ayesha", "Sana", "Hina"],
                     last=["Khan", "Qureshi", "Malik", "Chaudhry"]),
    "indonesia": dict(m=["Budi", "Rizky", "Agus"], f=["Ayu", "Dewi", "Putri"],
                      last=["Santoso", "Wijaya", "Hidayat", "Saputra"]),
    "philippines": dict(m=["Paolo", "Miguel", "Rodel"], f=["Maricel", "Angelica", "Jasmine"],
                        last=["Reyes", "Santos", "dela Cruz", "Bautista", "Villanueva"]),
    "iran": dict(m=["Reza", "Arash", "Kian"], f=["Shirin", "Parisa", "Maryam"],
                 last=["Ahmadi", "Karimi", "Moradi", "Hosseini"]),
    "thai": dict(m=["Somchai", "Anan", "Kittisak"], f=["Siriporn", "Malee", "Nattaya"],
                 last=["Wongsakul", "Chaiyaporn", "Suwannarat"]),
    "anglo": dict(m=["Ethan", "Jack", "Tyler", "Noah"], f=["Chloe", "Olivia", "Madison", "Hannah"],
                  last=["Thompson", "Carter", "Campbell", "Mitchell", "Robinson"]),
    "jamaica": dict(m=["Delroy", "Andre", "Shane"], f=["Shericka", "Natoya", "Kimberly"],
                    last=["Campbell", "Williams", "Bailey", "McKenzie"]),
}

# --------------------------------------------------------------------------------------------
# Countries: key, English name, English article, Spanish name, Spanish article, Spanish number,
# English demonym, Spanish demonym (m, f, m pl, f pl), capital (en, es), culture of its people.
# --------------------------------------------------------------------------------------------
C = [
    ("kenya", "Kenya", "", "Kenia", "", "s", "Kenyan", "keniano keniana kenianos kenianas", "Nairobi", "Nairobi", "kenya"),
    ("nigeria", "Nigeria", "", "Nigeria", "", "s", "Nigerian", "nigeriano nigeriana nigerianos nigerianas", "Abuja", "Abuja", "nigeria"),
    ("ghana", "Ghana", "", "Ghana", "", "s", "Ghanaian", "ghanés ghanesa ghaneses ghanesas", "Accra", "Acra", "ghana"),
    ("senegal", "Senegal", "", "Senegal", "", "s", "Senegalese", "senegalés senegalesa senegaleses senegalesas", "Dakar", "Dakar", "senegal"),
    ("south_africa", "South Africa", "", "Sudáfrica", "", "s", "South African", "sudafricano sudafricana sudafricanos sudafricanas", "Pretoria", "Pretoria", "southern"),
    ("zimbabwe", "Zimbabwe", "", "Zimbabue", "", "s", "Zimbabwean", "zimbabuense zimbabuense zimbabuenses zimbabuenses", "Harare", "Harare", "southern"),
    ("ethiopia", "Ethiopia", "", "Etiopía", "", "s", "Ethiopian", "etíope etíope etíopes etíopes", "Addis Ababa", "Adís Abeba", "ethiopia"),
    ("morocco", "Morocco", "", "Marruecos", "", "s", "Moroccan", "marroquí marroquí marroquíes marroquíes", "Rabat", "Rabat", "arabic"),
    ("egypt", "Egypt", "", "Egipto", "", "s", "Egyptian", "egipcio egipcia egipcios egipcias", "Cairo", "El Cairo", "arabic"),
    ("lebanon", "Lebanon", "", "Líbano", "el", "s", "Lebanese", "libanés libanesa libaneses libanesas", "Beirut", "Beirut", "arabic"),
    ("rwanda", "Rwanda", "", "Ruanda", "", "s", "Rwandan", "ruandés ruandesa ruandeses ruandesas", "Kigali", "Kigali", "rwanda"),
    ("uganda", "Uganda", "", "Uganda", "", "s", "Ugandan", "ugandés ugandesa ugandeses ugandesas", "Kampala", "Kampala", "uganda"),
    ("tanzania", "Tanzania", "", "Tanzania", "", "s", "Tanzanian", "tanzano tanzana tanzanos tanzanas", "Dodoma", "Dodoma", "tanzania"),
    ("mexico", "Mexico", "", "México", "", "s", "Mexican", "mexicano mexicana mexicanos mexicanas", "Mexico City", "Ciudad de México", "latam"),
    ("brazil", "Brazil", "", "Brasil", "", "s", "Brazilian", "brasileño brasileña brasileños brasileñas", "Brasília", "Brasilia", "lusophone"),
    ("argentina", "Argentina", "", "Argentina", "", "s", "Argentine", "argentino argentina argentinos argentinas", "Buenos Aires", "Buenos Aires", "latam"),
    ("colombia", "Colombia", "", "Colombia", "", "s", "Colombian", "colombiano colombiana colombianos colombianas", "Bogotá", "Bogotá", "latam"),
    ("peru", "Peru", "", "Perú", "", "s", "Peruvian", "peruano peruana peruanos peruanas", "Lima", "Lima", "andean"),
    ("bolivia", "Bolivia", "", "Bolivia", "", "s", "Bolivian", "boliviano boliviana bolivianos bolivianas", "La Paz", "La Paz", "andean"),
    ("chile", "Chile", "", "Chile", "", "s", "Chilean", "chileno chilena chilenos chilenas", "Santiago", "Santiago de Chile", "latam"),
    ("cuba", "Cuba", "", "Cuba", "", "s", "Cuban", "cubano cubana cubanos cubanas", "Havana", "La Habana", "latam"),
    ("jamaica", "Jamaica", "", "Jamaica", "", "s", "Jamaican", "jamaicano jamaicana jamaicanos jamaicanas", "Kingston", "Kingston", "jamaica"),
    ("spain", "Spain", "", "España", "", "s", "Spanish", "español española españoles españolas", "Madrid", "Madrid", "spain"),
    ("portugal", "Portugal", "", "Portugal", "", "s", "Portuguese", "portugués portuguesa portugueses portuguesas", "Lisbon", "Lisboa", "lusophone"),
    ("france", "France", "", "Francia", "", "s", "French", "francés francesa franceses francesas", "Paris", "París", "france"),
    ("germany", "Germany", "", "Alemania", "", "s", "German", "alemán alemana alemanes alemanas", "Berlin", "Berlín", "germany"),
    ("switzerland", "Switzerland", "", "Suiza", "", "s", "Swiss", "suizo suiza suizos suizas", "Bern", "Berna", "germany"),
    ("italy", "Italy", "", "Italia", "", "s", "Italian", "italiano italiana italianos italianas", "Rome", "Roma", "italy"),
    ("poland", "Poland", "", "Polonia", "", "s", "Polish", "polaco polaca polacos polacas", "Warsaw", "Varsovia", "poland"),
    ("sweden", "Sweden", "", "Suecia", "", "s", "Swedish", "sueco sueca suecos suecas", "Stockholm", "Estocolmo", "nordic"),
    ("norway", "Norway", "", "Noruega", "", "s", "Norwegian", "noruego noruega noruegos noruegas", "Oslo", "Oslo", "nordic"),
    ("denmark", "Denmark", "", "Dinamarca", "", "s", "Danish", "danés danesa daneses danesas", "Copenhagen", "Copenhague", "nordic"),
    ("greece", "Greece", "", "Grecia", "", "s", "Greek", "griego griega griegos griegas", "Athens", "Atenas", "greece"),
    ("netherlands", "Netherlands", "the", "Países Bajos", "los", "p", "Dutch", "neerlandés neerlandesa neerlandeses neerlandesas", "Amsterdam", "Ámsterdam", "dutch"),
    ("uk", "United Kingdom", "the", "Reino Unido", "el", "s", "British", "británico británica británicos británicas", "London", "Londres", "uk"),
    ("ireland", "Ireland", "", "Irlanda", "", "s", "Irish", "irlandés irlandesa irlandeses irlandesas", "Dublin", "Dublín", "uk"),
    ("turkey", "Turkey", "", "Turquía", "", "s", "Turkish", "turco turca turcos turcas", "Ankara", "Ankara", "turkey"),
    ("japan", "Japan", "", "Japón", "", "s", "Japanese", "japonés japonesa japoneses japonesas", "Tokyo", "Tokio", "japan"),
    ("china", "China", "", "China", "", "s", "Chinese", "chino china chinos chinas", "Beijing", "Pekín", "china"),
    ("south_korea", "South Korea", "", "Corea del Sur", "", "s", "South Korean", "surcoreano surcoreana surcoreanos surcoreanas", "Seoul", "Seúl", "korea"),
    ("india", "India", "", "India", "", "s", "Indian", "indio india indios indias", "New Delhi", "Nueva Delhi", "india"),
    ("nepal", "Nepal", "", "Nepal", "", "s", "Nepali", "nepalí nepalí nepalíes nepalíes", "Kathmandu", "Katmandú", "nepal"),
    ("pakistan", "Pakistan", "", "Pakistán", "", "s", "Pakistani", "pakistaní pakistaní pakistaníes pakistaníes", "Islamabad", "Islamabad", "pakistan"),
    ("vietnam", "Vietnam", "", "Vietnam", "", "s", "Vietnamese", "vietnamita vietnamita vietnamitas vietnamitas", "Hanoi", "Hanói", "vietnam"),
    ("indonesia", "Indonesia", "", "Indonesia", "", "s", "Indonesian", "indonesio indonesia indonesios indonesias", "Jakarta", "Yakarta", "indonesia"),
    ("philippines", "Philippines", "the", "Filipinas", "", "s", "Filipino", "filipino filipina filipinos filipinas", "Manila", "Manila", "philippines"),
    ("thailand", "Thailand", "", "Tailandia", "", "s", "Thai", "tailandés tailandesa tailandeses tailandesas", "Bangkok", "Bangkok", "thai"),
    ("iran", "Iran", "", "Irán", "", "s", "Iranian", "iraní iraní iraníes iraníes", "Tehran", "Teherán", "iran"),
    ("australia", "Australia", "", "Australia", "", "s", "Australian", "australiano australiana australianos australianas", "Canberra", "Canberra", "anglo"),
    ("canada", "Canada", "", "Canadá", "", "s", "Canadian", "canadiense canadiense canadienses canadienses", "Ottawa", "Ottawa", "anglo"),
    ("usa", "United States", "the", "Estados Unidos", "", "s", "American", "estadounidense estadounidense estadounidenses estadounidenses", "Washington", "Washington", "anglo"),
]

# Other cities: English, Spanish, country key.
CITIES = [
    ("Lagos", "Lagos", "nigeria"), ("Mombasa", "Mombasa", "kenya"), ("Kisumu", "Kisumu", "kenya"),
    ("Cape Town", "Ciudad del Cabo", "south_africa"), ("Johannesburg", "Johannesburgo", "south_africa"),
    ("Durban", "Durban", "south_africa"), ("Marrakesh", "Marrakech", "morocco"), ("Casablanca", "Casablanca", "morocco"),
    ("Tangier", "Tánger", "morocco"), ("Alexandria", "Alejandría", "egypt"), ("Kumasi", "Kumasi", "ghana"),
    ("Dar es Salaam", "Dar es Salaam", "tanzania"), ("Zanzibar", "Zanzíbar", "tanzania"),
    ("Guadalajara", "Guadalajara", "mexico"), ("Monterrey", "Monterrey", "mexico"), ("São Paulo", "São Paulo", "brazil"),
    ("Rio de Janeiro", "Río de Janeiro", "brazil"), ("Medellín", "Medellín", "colombia"), ("Cusco", "Cuzco", "peru"),
    ("Valparaíso", "Valparaíso", "chile"), ("Córdoba", "Córdoba", "argentina"), ("Barcelona", "Barcelona", "spain"),
    ("Seville", "Sevilla", "spain"), ("Lyon", "Lyon", "france"), ("Marseille", "Marsella", "france"),
    ("Munich", "Múnich", "germany"), ("Hamburg", "Hamburgo", "germany"), ("Geneva", "Ginebra", "switzerland"),
    ("Zurich", "Zúrich", "switzerland"), ("Milan", "Milán", "italy"), ("Naples", "Nápoles", "italy"),
    ("Florence", "Florencia", "italy"), ("Porto", "Oporto", "portugal"), ("Kraków", "Cracovia", "poland"),
    ("Gothenburg", "Gotemburgo", "sweden"), ("Bergen", "Bergen", "norway"), ("Thessaloniki", "Salónica", "greece"),
    ("Rotterdam", "Róterdam", "netherlands"), ("Edinburgh", "Edimburgo", "uk"), ("Manchester", "Mánchester", "uk"),
    ("Cork", "Cork", "ireland"), ("Istanbul", "Estambul", "turkey"), ("Osaka", "Osaka", "japan"),
    ("Kyoto", "Kioto", "japan"), ("Shanghai", "Shanghái", "china"), ("Busan", "Busan", "south_korea"),
    ("Mumbai", "Bombay", "india"), ("Bangalore", "Bangalore", "india"), ("Pokhara", "Pokhara", "nepal"),
    ("Karachi", "Karachi", "pakistan"), ("Lahore", "Lahore", "pakistan"),
    ("Ho Chi Minh City", "Ciudad Ho Chi Minh", "vietnam"), ("Surabaya", "Surabaya", "indonesia"),
    ("Cebu", "Cebú", "philippines"), ("Chiang Mai", "Chiang Mai", "thailand"), ("Isfahan", "Isfahán", "iran"),
    ("Sydney", "Sídney", "australia"), ("Melbourne", "Melbourne", "australia"), ("Toronto", "Toronto", "canada"),
    ("Montreal", "Montreal", "canada"), ("New York", "Nueva York", "usa"), ("Los Angeles", "Los Ángeles", "usa"),
    ("Chicago", "Chicago", "usa"), ("Santa Cruz", "Santa Cruz", "bolivia"), ("Arequipa", "Arequipa", "peru"),
    ("Saint-Louis", "Saint-Louis", "senegal"), ("Thiès", "Thiès", "senegal"), ("Bulawayo", "Bulawayo", "zimbabwe"),
    ("Gondar", "Gondar", "ethiopia"), ("Bahir Dar", "Bahir Dar", "ethiopia"), ("Tripoli", "Trípoli", "lebanon"),
    ("Byblos", "Biblos", "lebanon"), ("Huye", "Huye", "rwanda"), ("Gulu", "Gulu", "uganda"), ("Entebbe", "Entebbe", "uganda"),
    ("Santiago de Cuba", "Santiago de Cuba", "cuba"), ("Trinidad", "Trinidad", "cuba"), ("Montego Bay", "Montego Bay", "jamaica"),
    ("Aarhus", "Aarhus", "denmark"), ("Odense", "Odense", "denmark"),
]

# Organisations and other named things: English, English article, Spanish, Spanish article,
# Spanish number ("s"/"p"). Companies and airlines carry no article in either language.
ORGS: Dict[str, List[Tuple[str, str, str, str, str]]] = {
    "o": [  # political and international bodies, rights groups
        ("United Nations", "the", "Naciones Unidas", "las", "p"), ("UN", "the", "ONU", "la", "s"),
        ("African Union", "the", "Unión Africana", "la", "s"), ("European Union", "the", "Unión Europea", "la", "s"),
        ("EU", "the", "UE", "la", "s"), ("European Commission", "the", "Comisión Europea", "la", "s"),
        ("Organization of American States", "the", "Organización de los Estados Americanos", "la", "s"),
        ("ASEAN", "", "ASEAN", "la", "s"), ("Mercosur", "", "Mercosur", "el", "s"), ("ECOWAS", "", "Cedeao", "la", "s"),
        ("Arab League", "the", "Liga Árabe", "la", "s"), ("Amnesty International", "", "Amnistía Internacional", "", "s"),
        ("Human Rights Watch", "", "Human Rights Watch", "", "s"), ("UNHCR", "", "ACNUR", "", "s"),
    ],
    "fin": [
        ("World Bank", "the", "Banco Mundial", "el", "s"), ("International Monetary Fund", "the", "Fondo Monetario Internacional", "el", "s"),
        ("IMF", "the", "FMI", "el", "s"), ("Inter-American Development Bank", "the", "Banco Interamericano de Desarrollo", "el", "s"),
        ("African Development Bank", "the", "Banco Africano de Desarrollo", "el", "s"),
        ("Asian Development Bank", "the", "Banco Asiático de Desarrollo", "el", "s"),
        ("European Investment Bank", "the", "Banco Europeo de Inversiones", "el", "s"),
    ],
    "aid": [
        ("World Food Programme", "the", "Programa Mundial de Alimentos", "el", "s"), ("Red Cross", "the", "Cruz Roja", "la", "s"),
        ("UNICEF", "", "Unicef", "", "s"), ("Doctors Without Borders", "", "Médicos Sin Fronteras", "", "s"),
        ("Oxfam", "", "Oxfam", "", "s"), ("Red Crescent", "the", "Media Luna Roja", "la", "s"),
        ("Save the Children", "", "Save the Children", "", "s"),
    ],
    "hlth": [
        ("World Health Organization", "the", "Organización Mundial de la Salud", "la", "s"), ("WHO", "the", "OMS", "la", "s"),
        ("UNICEF", "", "Unicef", "", "s"), ("Doctors Without Borders", "", "Médicos Sin Fronteras", "", "s"),
        ("Pasteur Institute", "the", "Instituto Pasteur", "el", "s"),
    ],
    "asm": [
        ("European Parliament", "the", "Parlamento Europeo", "el", "s"), ("Pan-African Parliament", "the", "Parlamento Panafricano", "el", "s"),
        ("UN General Assembly", "the", "Asamblea General de la ONU", "la", "s"),
        ("UN Security Council", "the", "Consejo de Seguridad de la ONU", "el", "s"),
        ("Latin American Parliament", "the", "Parlamento Latinoamericano", "el", "s"),
        ("East African Legislative Assembly", "the", "Asamblea Legislativa de África Oriental", "la", "s"),
    ],
    "os": [  # sport bodies
        ("FIFA", "", "FIFA", "la", "s"), ("International Olympic Committee", "the", "Comité Olímpico Internacional", "el", "s"),
        ("World Athletics", "", "World Athletics", "", "s"), ("World Anti-Doping Agency", "the", "Agencia Mundial Antidopaje", "la", "s"),
        ("CONMEBOL", "", "Conmebol", "la", "s"), ("Confederation of African Football", "the", "Confederación Africana de Fútbol", "la", "s"),
        ("UEFA", "", "UEFA", "la", "s"), ("Asian Football Confederation", "the", "Confederación Asiática de Fútbol", "la", "s"),
    ],
    "ag": [  # space agencies
        ("NASA", "", "NASA", "la", "s"), ("European Space Agency", "the", "Agencia Espacial Europea", "la", "s"),
        ("ISRO", "", "ISRO", "la", "s"), ("JAXA", "", "JAXA", "la", "s"), ("Kenya Space Agency", "the", "Agencia Espacial de Kenia", "la", "s"),
        ("China National Space Administration", "the", "Administración Espacial Nacional China", "la", "s"),
        ("Brazilian Space Agency", "the", "Agencia Espacial Brasileña", "la", "s"), ("African Space Agency", "the", "Agencia Espacial Africana", "la", "s"),
    ],
    "u": [  # universities and institutes
        ("University of Nairobi", "the", "Universidad de Nairobi", "la", "s"), ("University of Cape Town", "the", "Universidad de Ciudad del Cabo", "la", "s"),
        ("University of São Paulo", "the", "Universidad de São Paulo", "la", "s"), ("Seoul National University", "", "Universidad Nacional de Seúl", "la", "s"),
        ("National University of Singapore", "the", "Universidad Nacional de Singapur", "la", "s"), ("Makerere University", "", "Universidad Makerere", "la", "s"),
        ("University of Tokyo", "the", "Universidad de Tokio", "la", "s"), ("Heidelberg University", "", "Universidad de Heidelberg", "la", "s"),
        ("University of Buenos Aires", "the", "Universidad de Buenos Aires", "la", "s"),
        ("National Autonomous University of Mexico", "the", "Universidad Nacional Autónoma de México", "la", "s"),
        ("Indian Institute of Science", "the", "Instituto Indio de Ciencias", "el", "s"), ("University of Ghana", "the", "Universidad de Ghana", "la", "s"),
        ("University of Lagos", "the", "Universidad de Lagos", "la", "s"), ("Tsinghua University", "", "Universidad Tsinghua", "la", "s"),
        ("Sorbonne", "the", "Sorbona", "la", "s"), ("University of Chile", "the", "Universidad de Chile", "la", "s"),
        ("Cairo University", "", "Universidad de El Cairo", "la", "s"), ("Kyoto University", "", "Universidad de Kioto", "la", "s"),
        ("University of the Philippines", "the", "Universidad de Filipinas", "la", "s"),
    ],
    "ar": [  # airlines
        (n, "", n, "", "s") for n in ["Kenya Airways", "Ethiopian Airlines", "LATAM Airlines", "Avianca", "Lufthansa", "Air France",
                                      "Japan Airlines", "Aeroméxico", "RwandAir", "Qatar Airways", "Iberia", "Garuda Indonesia",
                                      "Turkish Airlines", "Royal Air Maroc", "Korean Air", "Vietnam Airlines", "Copa Airlines"]
    ],
    "cl": [  # football clubs
        ("Real Madrid", "", "Real Madrid", "el", "s"), ("Boca Juniors", "", "Boca Juniors", "", "s"),
        ("River Plate", "", "River Plate", "", "s"), ("Al Ahly", "", "Al Ahly", "el", "s"), ("Flamengo", "", "Flamengo", "el", "s"),
        ("Galatasaray", "", "Galatasaray", "el", "s"), ("Ajax", "", "Ajax", "el", "s"), ("Bayern Munich", "", "Bayern de Múnich", "el", "s"),
        ("Club América", "", "Club América", "el", "s"), ("Celtic", "", "Celtic", "el", "s"), ("Enyimba", "", "Enyimba", "el", "s"),
        ("Urawa Red Diamonds", "", "Urawa Red Diamonds", "el", "s"), ("Mamelodi Sundowns", "", "Mamelodi Sundowns", "el", "s"),
        ("Atlético Nacional", "", "Atlético Nacional", "el", "s"), ("Benfica", "", "Benfica", "el", "s"),
        ("Raja Casablanca", "", "Raja Casablanca", "el", "s"), ("Gor Mahia", "", "Gor Mahia", "el", "s"),
    ],
    "ev": [  # events a country or city can host (MISC)
        ("Olympic Games", "the", "Juegos Olímpicos", "los", "p"), ("World Cup", "the", "Mundial", "el", "s"),
        ("Africa Cup of Nations", "the", "Copa Africana de Naciones", "la", "s"), ("Copa América", "the", "Copa América", "la", "s"),
        ("Commonwealth Games", "the", "Juegos de la Mancomunidad", "los", "p"), ("Asian Games", "the", "Juegos Asiáticos", "los", "p"),
        ("Pan American Games", "the", "Juegos Panamericanos", "los", "p"), ("Rugby World Cup", "the", "Mundial de Rugby", "el", "s"),
        ("Women's World Cup", "the", "Mundial Femenino", "el", "s"), ("All-Africa Games", "the", "Juegos Panafricanos", "los", "p"),
        ("Paralympic Games", "the", "Juegos Paralímpicos", "los", "p"),
    ],
    "er": [  # races and tournaments one can win (MISC)
        ("Boston Marathon", "the", "Maratón de Boston", "el", "s"), ("London Marathon", "the", "Maratón de Londres", "el", "s"),
        ("Tokyo Marathon", "the", "Maratón de Tokio", "el", "s"), ("Berlin Marathon", "the", "Maratón de Berlín", "el", "s"),
        ("Wimbledon", "", "Wimbledon", "", "s"), ("Roland Garros", "", "Roland Garros", "", "s"),
        ("Tour de France", "the", "Tour de Francia", "el", "s"), ("Giro d'Italia", "the", "Giro de Italia", "el", "s"),
        ("Tour du Rwanda", "the", "Tour de Ruanda", "el", "s"), ("Vuelta a España", "the", "Vuelta a España", "la", "s"),
        ("Dakar Rally", "the", "Rally Dakar", "el", "s"),
    ],
    "pr": [  # prizes (MISC)
        ("Nobel Prize in Chemistry", "the", "Premio Nobel de Química", "el", "s"), ("Nobel Prize in Medicine", "the", "Premio Nobel de Medicina", "el", "s"),
        ("Fields Medal", "the", "Medalla Fields", "la", "s"), ("Turing Award", "the", "Premio Turing", "el", "s"),
        ("Abel Prize", "the", "Premio Abel", "el", "s"), ("Kalinga Prize", "the", "Premio Kalinga", "el", "s"),
        ("Africa Prize for Engineering Innovation", "the", "Premio África a la Innovación en Ingeniería", "el", "s"),
        ("Princess of Asturias Award for Technical and Scientific Research", "the",
         "Premio Princesa de Asturias de Investigación Científica y Técnica", "el", "s"),
    ],
    "lg": [  # languages (MISC; lower case in Spanish)
        ("Swahili", "", "suajili", "", "s"), ("Yoruba", "", "yoruba", "", "s"), ("Zulu", "", "zulú", "", "s"),
        ("Amharic", "", "amárico", "", "s"), ("Wolof", "", "wolof", "", "s"), ("Quechua", "", "quechua", "", "s"),
        ("Aymara", "", "aimara", "", "s"), ("Guarani", "", "guaraní", "", "s"), ("Portuguese", "", "portugués", "", "s"),
        ("Arabic", "", "árabe", "", "s"), ("Mandarin", "", "mandarín", "", "s"), ("Hindi", "", "hindi", "", "s"),
        ("Tagalog", "", "tagalo", "", "s"), ("Catalan", "", "catalán", "", "s"), ("Basque", "", "euskera", "", "s"),
        ("Korean", "", "coreano", "", "s"), ("French", "", "francés", "", "s"), ("English", "", "inglés", "", "s"),
    ],
}

# Companies with the country they belong to (so "the Japanese company Toyota" is true).
COMPANIES = [
    ("Toyota", "japan"), ("Sony", "japan"), ("Samsung", "south_korea"), ("Hyundai", "south_korea"), ("Safaricom", "kenya"),
    ("Petrobras", "brazil"), ("Embraer", "brazil"), ("Tata Motors", "india"), ("Infosys", "india"), ("Nestlé", "switzerland"),
    ("Siemens", "germany"), ("Dangote Cement", "nigeria"), ("Grupo Bimbo", "mexico"), ("Huawei", "china"), ("Alibaba", "china"),
    ("Ecopetrol", "colombia"), ("Jollibee Foods", "philippines"), ("Maersk", "denmark"), ("Naspers", "south_africa"),
    ("MTN Group", "south_africa"), ("Inditex", "spain"), ("Telefónica", "spain"), ("Vinamilk", "vietnam"), ("Equinor", "norway"),
    ("Volvo", "sweden"), ("Philips", "netherlands"), ("Codelco", "chile"), ("Mercado Libre", "argentina"),
    ("Ethio Telecom", "ethiopia"), ("Arçelik", "turkey"), ("Pertamina", "indonesia"), ("Bank of Kigali", "rwanda"),
]

REGIONS = {
    "africa": "kenya nigeria ghana senegal south_africa zimbabwe ethiopia morocco egypt rwanda uganda tanzania",
    "latam": "mexico brazil argentina colombia peru bolivia chile cuba jamaica",
    "asia": "japan china south_korea india nepal pakistan vietnam indonesia philippines thailand iran lebanon turkey",
    "europe": "spain portugal france germany switzerland italy poland sweden norway denmark greece netherlands uk ireland",
    "coffee": "kenya ethiopia uganda rwanda tanzania colombia brazil peru mexico vietnam indonesia jamaica bolivia",
    "tropical": "brazil colombia mexico peru bolivia cuba jamaica india vietnam indonesia philippines thailand nigeria "
                "kenya tanzania ghana senegal pakistan nepal",
}
REGIONS["south"] = " ".join(k for k in (REGIONS["africa"] + " " + REGIONS["latam"] + " " + REGIONS["asia"]).split()
                            if k not in ("japan", "south_korea"))
REGIONS = {name: set(keys.split()) for name, keys in REGIONS.items()}
# Where each lender lends (a region name).
LENDS_TO = {"World Bank": "south", "International Monetary Fund": "south", "IMF": "south",
            "Inter-American Development Bank": "latam", "African Development Bank": "africa",
            "Asian Development Bank": "asia", "European Investment Bank": "europe"}

LABELS = {"p": "PER", "c": "LOC", "y": "LOC", "co": "ORG", "ev": "MISC", "er": "MISC", "pr": "MISC", "lg": "MISC"}
for _pool in ("o", "fin", "aid", "hlth", "asm", "os", "ag", "u", "ar", "cl"):
    LABELS[_pool] = "ORG"

MONTHS = list(zip(
    "January February March April May June July August September October November December".split(),
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
))
DAYS = list(zip("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
                "lunes martes miércoles jueves viernes sábado domingo".split()))

# --------------------------------------------------------------------------------------------
# Templates: (domain, English, Spanish, ties). ties: {"p1": "c1"} picks p1 from c1's people,
# {"y1": "c1"} a city of c1 (not its capital where it has another), {"c1": "co1"} the company's
# country, {"c1": "fin1"} a country that lender lends to, {"c1": "@coffee"} a country of a region.
# --------------------------------------------------------------------------------------------
T = [
    # travel
    ("travel", "We spent three days in {y1} before taking the night train to {y2}.",
     "Pasamos tres días en {y1} antes de tomar el tren nocturno a {y2}.", {}),
    ("travel", "The flight from {y1} to {y2} was delayed by almost four hours.",
     "El vuelo de {y1} a {y2} se retrasó casi cuatro horas.", {}),
    ("travel", "Tourists visiting {c1} are advised to carry cash outside the big cities.",
     "Se recomienda a los turistas que visitan {c1} llevar dinero en efectivo fuera de las grandes ciudades.", {}),
    ("travel", "The {c1.dem} capital, {c1.cap}, attracts millions of visitors every year.",
     "La capital {c1.dem:f}, {c1.cap}, atrae a millones de visitantes cada año.", {}),
    ("travel", "The road between {y1} and {y2} reopened after the floods.",
     "La carretera entre {y1} y {y2} volvió a abrirse tras las inundaciones.", {}),
    ("travel", "From {c1.cap}, the bus takes about {num} hours to reach {y1}.",
     "Desde {c1.cap}, el autobús tarda unas {num} horas en llegar a {y1}.", {"y1": "c1"}),
    ("travel", "{ar1} will launch direct flights between {y1} and {y2} in {mon}.",
     "{ar1} lanzará vuelos directos entre {y1} y {y2} en {mon}.", {}),
    ("travel", "Hotels in {y1} are almost fully booked for {ev1}.",
     "Los hoteles de {y1} están casi completos de cara a {ev1}.", {}),
    ("travel", "I first visited {c1} in {yr} and have gone back every summer since.",
     "Visité {c1} por primera vez en {yr} y he vuelto todos los veranos desde entonces.", {}),
    ("travel", "The old town of {y1} was declared a World Heritage Site by {=ORG:UNESCO} in {yr}.",
     "El casco antiguo de {y1} fue declarado Patrimonio de la Humanidad por la {=ORG:Unesco} en {yr}.", {}),
    ("travel", "Is it safe to drink tap water in {y1}?",
     "¿Es seguro beber agua del grifo en {y1}?", {}),
    ("travel", "Remember to book your tickets at least two weeks in advance.",
     "Recuerde reservar sus billetes con al menos dos semanas de antelación.", {}),
    ("travel", "The train was full, so we stood for most of the journey.",
     "El tren iba lleno, así que viajamos de pie durante casi todo el trayecto.", {}),
    ("travel", "Our guide in {y1}, {p1}, had never been to {c1}.",
     "{g:p1:Nuestro guía|Nuestra guía} en {y1}, {p1}, nunca había estado en {c1}.", {"p1": "y1"}),
    ("travel", "How much does a taxi from the airport to the centre of {y1} cost?",
     "¿Cuánto cuesta un taxi del aeropuerto al centro de {y1}?", {}),
    ("travel", "The ferry to {y1} leaves at seven in the morning and costs {num2} euros.",
     "El ferri a {y1} sale a las siete de la mañana y cuesta {num2} euros.", {}),
    # sport
    ("sport", "{p1} won the {y1} marathon in two hours and six minutes.",
     "{p1} ganó el maratón de {y1} con un tiempo de dos horas y seis minutos.", {}),
    ("sport", "The {c1.dem} runner {p1} set a new course record in {y1} on {dow}.",
     "{g:p1:El corredor|La corredora} {c1.dem:p1} {p1} estableció un nuevo récord del circuito en {y1} el {dow}.", {"p1": "c1"}),
    ("sport", "{cl1} signed the {c1.dem} striker {p1} on a three-year contract.",
     "{cl1} fichó {g:p1:al delantero|a la delantera} {c1.dem:p1} {p1} con un contrato de tres años.", {"p1": "c1"}),
    ("sport", "{p1} scored twice as {cl1} beat {cl2} 3-1 on {dow} night.",
     "{p1} marcó dos goles en la victoria de {cl1} por 3-1 ante {cl2} el {dow} por la noche.", {}),
    ("sport", "{ev1} will be held in {c1} for the first time.",
     "{ev1} se {n:ev1:celebrará|celebrarán} en {c1} por primera vez.", {}),
    ("sport", "{p1} of {c1} took the gold medal in the {g:p1:men's|women's} 400 metres.",
     "{p1}, de {c1}, se llevó la medalla de oro en los 400 metros {g:p1:masculinos|femeninos}.", {"p1": "c1"}),
    ("sport", "After losing the first set, {p1} came back to defeat {p2} in {y1}.",
     "Tras perder el primer set, {p1} remontó para derrotar a {p2} en {y1}.", {}),
    ("sport", "{cl1} coach {p1} said the team was tired after the long trip from {y1}.",
     "{g:p1:El entrenador|La entrenadora} de {cl1}, {p1}, dijo que el equipo estaba cansado tras el largo viaje desde {y1}.", {}),
    ("sport", "Nobody expected the {c1.dem} team to reach the final.",
     "Nadie esperaba que el equipo {c1.dem:m} llegara a la final.", {}),
    ("sport", "The match was suspended for an hour because of heavy rain.",
     "El partido se suspendió durante una hora a causa de las fuertes lluvias.", {}),
    ("sport", "The {c1.dem} cyclist {p1} finished second in {er1} behind {p2}.",
     "{g:p1:El ciclista|La ciclista} {c1.dem:p1} {p1} terminó en segundo lugar en {er1} por detrás de {p2}.", {"p1": "c1"}),
    ("sport", "{p1} became the first {c1.dem} athlete to win {er1}.",
     "{p1} se convirtió en {g:p1:el primer atleta|la primera atleta} {c1.dem:p1} en ganar {er1}.", {"p1": "c1"}),
    ("sport", "{os1} suspended {p1} for four years after a failed doping test.",
     "{os1} suspendió a {p1} durante cuatro años tras dar positivo en un control antidopaje.", {}),
    ("sport", "{os1} confirmed that {y1} will host the final in {fyr}.",
     "{os1} confirmó que {y1} acogerá la final en {fyr}.", {}),
    ("sport", "The {c1.dem} national team arrived in {y1} without its captain, {p1}.",
     "La selección {c1.dem:f} llegó a {y1} sin {g:p1:su capitán|su capitana}, {p1}.", {"p1": "c1"}),
    ("sport", "{p1} of {cl1} was named player of the season.",
     "{p1}, de {cl1}, fue {g:p1:elegido mejor jugador|elegida mejor jugadora} de la temporada.", {}),
    ("sport", "Fans of {cl1} celebrated in the centre of {y1} until dawn.",
     "Los aficionados de {cl1} celebraron la victoria en el centro de {y1} hasta el amanecer.", {}),
    ("sport", "“It was the hardest race of my life,” {p1.last} said after finishing in {y1}.",
     "«Ha sido la carrera más dura de mi vida», dijo {p1.last} tras terminar en {y1}.", {}),
    ("sport", "She trained every morning for six months before the race.",
     "Entrenó todas las mañanas durante seis meses antes de la carrera.", {}),
    ("sport", "{p1} thanked the fans in {y1} and said {g:p1:he|she} would return next year.",
     "{p1} dio las gracias a los aficionados de {y1} y dijo que volvería el próximo año.", {}),
    # politics
    ("politics", "{c1.dem} President {p1} arrived in {y1} on {dow} for talks with {o1}.",
     "{g:p1:El presidente|La presidenta} {c1.dem:p1} {p1} llegó a {y1} el {dow} para mantener conversaciones con {o1}.", {"p1": "c1"}),
    ("politics", "The foreign ministers of {c1} and {c2} signed a trade agreement in {y1}.",
     "Los ministros de Asuntos Exteriores de {c1} y {c2} firmaron un acuerdo comercial en {y1}.", {}),
    ("politics", "{p1}, the leader of the opposition, accused the government of ignoring the crisis in {y1}.",
     "{p1}, {g:p1:el líder|la líder} de la oposición, acusó al Gobierno de ignorar la crisis de {y1}.", {}),
    ("politics", "Thousands of people marched through the streets of {y1} to demand new elections.",
     "Miles de personas marcharon por las calles de {y1} para exigir nuevas elecciones.", {}),
    ("politics", "{o1} called on {c1} to release the detained journalists immediately.",
     "{o1} {n:o1:pidió|pidieron} a {c1} que {n:c1:liberara|liberaran} de inmediato a los periodistas detenidos.", {}),
    ("politics", "Voters in {c1} go to the polls on {date} to elect a new parliament.",
     "Los votantes de {c1} acudirán a las urnas el {date} para elegir un nuevo parlamento.", {}),
    ("politics", "{p1} resigned as prime minister after only {num} months in office.",
     "{p1} dimitió como {g:p1:primer ministro|primera ministra} tras solo {num} meses en el cargo.", {}),
    ("politics", "The mayor of {y1}, {p1}, promised to build {num} new schools before {fyr}.",
     "{g:p1:El alcalde|La alcaldesa} de {y1}, {p1}, prometió construir {num} escuelas nuevas antes de {fyr}.", {"p1": "y1"}),
    ("politics", "Members of {asm1} debated the proposal for more than six hours.",
     "Los miembros de {asm1} debatieron la propuesta durante más de seis horas.", {}),
    ("politics", "{c1} and {c2} restored diplomatic relations after a break of {num} years.",
     "{c1} y {c2} restablecieron las relaciones diplomáticas tras una ruptura de {num} años.", {}),
    ("politics", "A spokesperson for {o1} declined to comment on the report.",
     "Un portavoz de {o1} declinó hacer comentarios sobre el informe.", {}),
    ("politics", "Does {c1} have the capacity to host a summit of this size?",
     "¿Tiene {c1} capacidad para organizar una cumbre de este tamaño?", {}),
    ("politics", "Why did {p1} leave {o1} so suddenly?",
     "¿Por qué abandonó {p1} {o1} de forma tan repentina?", {}),
    ("politics", "The {c1.dem} government banned plastic bags in {yr}.",
     "El Gobierno {c1.dem:m} prohibió las bolsas de plástico en {yr}.", {}),
    ("politics", "Both {p1} and {p2} have denied the allegations.",
     "Tanto {p1} como {p2} han negado las acusaciones.", {}),
    ("politics", "Police in {y1} arrested {num} people after the protest.",
     "La policía de {y1} detuvo a {num} personas tras la protesta.", {}),
    ("politics", "The talks in {y1} were mediated by {p1}, a former president of {c1}.",
     "Las conversaciones de {y1} fueron mediadas por {p1}, {g:p1:expresidente|expresidenta} de {c1}.", {"p1": "c1"}),
    ("politics", "The {c1.dem} prime minister, {p1}, and the {c2.dem} president, {p2}, held a joint press conference in {y1}.",
     "{g:p1:El primer ministro|La primera ministra} {c1.dem:p1}, {p1}, y {g:p2:el presidente|la presidenta} {c2.dem:p2}, {p2}, "
     "ofrecieron una rueda de prensa conjunta en {y1}.", {"p1": "c1", "p2": "c2"}),
    ("politics", "The summit (the first since {yr}) brought together leaders from {num2} countries in {y1}.",
     "La cumbre (la primera desde {yr}) reunió en {y1} a líderes de {num2} países.", {}),
    ("politics", "{p1} arrived late, but {p1.last} still gave the opening speech.",
     "{p1} llegó tarde, pero aun así pronunció el discurso de apertura.", {}),
    ("politics", "{p1} met {p2} in {y1}, and {p1.last} later described the meeting as cordial.",
     "{p1} se reunió con {p2} en {y1} y más tarde calificó el encuentro de cordial.", {}),
    ("politics", "The committee will publish its final report next month.",
     "El comité publicará su informe final el mes que viene.", {}),
    ("politics", "{p1} told reporters in {y1} that the talks had been “very productive”.",
     "{p1} dijo a los periodistas en {y1} que las conversaciones habían sido «muy productivas».", {}),
    ("politics", "The {c1.dem} delegation, led by {p1}, left {y1} on {dow}.",
     "La delegación {c1.dem:f}, encabezada por {p1}, salió de {y1} el {dow}.", {"p1": "c1"}),
    ("politics", "{c1.poss} foreign minister, {p1}, will visit {c2} and {c3} next week.",
     "{g:p1:El ministro|La ministra} de Asuntos Exteriores de {c1}, {p1}, visitará {c2} y {c3} la próxima semana.", {"p1": "c1"}),
    # business
    ("business", "{co1} opened a new factory near {y1}, creating about {big} jobs.",
     "{co1} abrió una nueva fábrica cerca de {y1}, lo que creará unos {big} empleos.", {}),
    ("business", "Shares of {co1} rose {dec}% on the {y1} stock exchange on {dow}.",
     "Las acciones de {co1} subieron un {dec} % en la bolsa de {y1} el {dow}.", {"y1": "co1"}),
    ("business", "The {c1.dem} company {co1} agreed to buy its rival {co2} for {bn} billion dollars.",
     "La empresa {c1.dem:f} {co1} acordó comprar a su rival {co2} por {bn} mil millones de dólares.", {"c1": "co1"}),
    ("business", "{p1}, chief executive of {co1}, expects sales to double by {fyr}.",
     "{p1}, {g:p1:consejero delegado|consejera delegada} de {co1}, prevé que las ventas se dupliquen de aquí a {fyr}.", {}),
    ("business", "The central bank of {c1} raised interest rates to {dec}%.",
     "El banco central de {c1} subió los tipos de interés al {dec} %.", {}),
    ("business", "{co1} will move its regional headquarters from {y1} to {y2} next year.",
     "{co1} trasladará su sede regional de {y1} a {y2} el próximo año.", {}),
    ("business", "Coffee exports from {c1} fell sharply last year because of the drought.",
     "Las exportaciones de café de {c1} cayeron drásticamente el año pasado a causa de la sequía.", {"c1": "@coffee"}),
    ("business", "The {y1} office of {co1} employs more than {big} people.",
     "La oficina de {co1} en {y1} emplea a más de {big} personas.", {}),
    ("business", "{y1}-based {co1} reported a profit of {dec} million dollars.",
     "{co1}, con sede en {y1}, registró unos beneficios de {dec} millones de dólares.", {"y1": "co1"}),
    ("business", "A {c1.dem} start-up founded by {p1} has raised {dec} million dollars.",
     "Una empresa emergente {c1.dem:f} fundada por {p1} ha recaudado {dec} millones de dólares.", {"p1": "c1"}),
    ("business", "{fin1} lent {c1} {bn} billion dollars to rebuild its roads.",
     "{fin1} prestó a {c1} {bn} mil millones de dólares para reconstruir sus carreteras.", {"c1": "fin1"}),
    ("business", "Negotiators from {co1} and the unions reached a deal late on {dow}.",
     "Los negociadores de {co1} y los sindicatos alcanzaron un acuerdo el {dow} por la noche.", {}),
    ("business", "Inflation slowed for the third month in a row, according to official figures.",
     "La inflación se moderó por tercer mes consecutivo, según las cifras oficiales.", {}),
    ("business", "Prices of bread and rice have risen by almost a third.",
     "Los precios del pan y del arroz han subido casi un tercio.", {}),
    ("business", "Unemployment in {c1} rose to {dec}% in the second quarter.",
     "El desempleo en {c1} subió al {dec} % en el segundo trimestre.", {}),
    ("business", "Several {c1.dem} and {c2.dem} companies have invested in the port of {y1}.",
     "Varias empresas {c1.dem:fp} y {c2.dem:fp} han invertido en el puerto de {y1}.", {}),
    ("business", "{co1} (formerly part of {co2}) now has offices in {y1}, {y2} and {y3}.",
     "{co1} (antes parte de {co2}) tiene ahora oficinas en {y1}, {y2} y {y3}.", {}),
    ("business", "{p1} founded the company in {y1} in {yr} with a loan of {big} dollars.",
     "{p1} fundó la empresa en {y1} en {yr} con un préstamo de {big} dólares.", {"p1": "y1"}),
    ("business", "Sales of {co1} in {c1} fell by {dec}% in {mon}.",
     "Las ventas de {co1} en {c1} cayeron un {dec} % en {mon}.", {}),
    ("business", "{ar1} carried {dec} million passengers last year, a record for the airline.",
     "{ar1} transportó a {dec} millones de pasajeros el año pasado, una cifra récord para la aerolínea.", {}),
    ("business", "Are {c1.dem} exporters ready for the new tariffs?",
     "¿Están preparados los exportadores {c1.dem:mp} para los nuevos aranceles?", {}),
    # science
    ("science", "Researchers at {u1} have developed a cheaper test for malaria.",
     "Investigadores de {u1} han desarrollado una prueba más barata para detectar la malaria.", {}),
    ("science", "{p1}, a biologist at {u1}, led the study published on {dow}.",
     "{p1}, {g:p1:biólogo|bióloga} de {u1}, dirigió el estudio publicado el {dow}.", {}),
    ("science", "{ag1} plans to launch its first lunar probe in {fyr}.",
     "{ag1} prevé lanzar su primera sonda lunar en {fyr}.", {}),
    ("science", "A team led by {p1} and {p2} sequenced the genomes of {num2} rice varieties from {c1}.",
     "Un equipo dirigido por {p1} y {p2} secuenció los genomas de {num2} variedades de arroz de {c1}.", {}),
    ("science", "According to {hlth1}, cases of dengue doubled in {c1} last year.",
     "Según {hlth1}, los casos de dengue se duplicaron en {c1} el año pasado.", {"c1": "@tropical"}),
    ("science", "The new telescope in {c1} will be operated jointly with {u1}.",
     "El nuevo telescopio de {c1} será operado conjuntamente con {u1}.", {}),
    ("science", "{p1} received {pr1} for {g:p1:his|her} work on antibiotic resistance.",
     "{p1} recibió {pr1} por su trabajo sobre la resistencia a los antibióticos.", {}),
    ("science", "Scientists warn that the glacier could disappear within thirty years.",
     "Los científicos advierten de que el glaciar podría desaparecer en treinta años.", {}),
    ("science", "The vaccine was tested on {big} volunteers in {c1}, {c2} and {c3}.",
     "La vacuna se probó en {big} voluntarios de {c1}, {c2} y {c3}.", {}),
    ("science", "{co1} and {u1} will build a research centre for artificial intelligence in {y1}.",
     "{co1} y {u1} construirán un centro de investigación en inteligencia artificial en {y1}.", {}),
    ("science", "{ag1} confirmed that the satellite had reached orbit.",
     "{ag1} confirmó que el satélite había alcanzado la órbita.", {}),
    ("science", "Farmers in the north of {c1} are switching from maize to sorghum.",
     "Los agricultores del norte de {c1} están pasando del maíz al sorgo.", {}),
    ("science", "A magnitude {mag} earthquake struck off the coast of {c1} early on {dow}.",
     "Un terremoto de magnitud {mag} sacudió la costa de {c1} en la madrugada del {dow}.", {}),
    ("science", "{p1}, who studied at {u1}, now advises {fin1} on climate policy.",
     "{p1}, que estudió en {u1}, asesora ahora a {fin1} en materia de política climática.", {}),
    ("science", "{p1} and {p2} shared {pr1} in {yr}.",
     "{p1} y {p2} compartieron {pr1} en {yr}.", {}),
    ("science", "{aid1} sent {num2} tonnes of food aid to {c1} in {mon}.",
     "{aid1} {n:aid1:envió|enviaron} {num2} toneladas de ayuda alimentaria a {c1} en {mon}.", {"c1": "@south"}),
    ("science", "Rescue teams from {c1} arrived in {y1} on {dow} morning.",
     "Los equipos de rescate de {c1} llegaron a {y1} el {dow} por la mañana.", {}),
    ("science", "The experiment was repeated {num} times with the same result.",
     "El experimento se repitió {num} veces con el mismo resultado.", {}),
    ("science", "{p1} and {p2}, two engineers from {y1}, designed a solar pump that costs less than {num2} dollars.",
     "{p1} y {p2}, dos {g:p1+p2:ingenieros|ingenieras} de {y1}, diseñaron una bomba solar que cuesta menos de {num2} dólares.", {}),
    # culture
    ("culture", "{p1.poss} first novel, written in {lg1}, has been translated into {num} languages.",
     "La primera novela de {p1}, escrita en {lg1}, ha sido traducida a {num} idiomas.", {}),
    ("culture", "The festival in {y1} pays tribute to {c1.dem} music and food.",
     "El festival de {y1} rinde homenaje a la música y la gastronomía {c1.dem:fp}.", {"y1": "c1"}),
    ("culture", "{p1} and {p2} will perform together at a concert in {y1} on {date}.",
     "{p1} y {p2} actuarán {g:p1+p2:juntos|juntas} en un concierto en {y1} el {date}.", {}),
    ("culture", "The museum in {y1} returned {num} bronze sculptures to {c1}.",
     "El museo de {y1} devolvió {num} esculturas de bronce a {c1}.", {}),
    ("culture", "Many children in {y1} grow up speaking both {lg1} and {lg2}.",
     "Muchos niños de {y1} crecen hablando tanto {lg1} como {lg2}.", {}),
    ("culture", "{p1} directed the film, which was shot entirely in {y1}.",
     "{p1} dirigió la película, que se rodó íntegramente en {y1}.", {}),
    ("culture", "The documentary follows a family that emigrated from {c1} to {c2} in {yr}.",
     "El documental sigue a una familia que emigró de {c1} a {c2} en {yr}.", {}),
    ("culture", "“We are proud of what we achieved,” said {p1}.",
     "«Estamos orgullosos de lo que hemos logrado», dijo {p1}.", {}),
    ("culture", "The {c1.dem} writer {p1} lives between {y1} and {y2}.",
     "{g:p1:El escritor|La escritora} {c1.dem:p1} {p1} vive entre {y1} y {y2}.", {"p1": "c1"}),
    ("culture", "Tickets for the concert by {p1} in {y1} sold out in {num} minutes.",
     "Las entradas para el concierto de {p1} en {y1} se agotaron en {num} minutos.", {}),
    ("culture", "{p1} was born in {y1} but grew up in {y2}, where {g:p1:his|her} father worked for {co1}.",
     "{p1} nació en {y1}, pero creció en {y2}, donde su padre trabajaba para {co1}.", {}),
    ("culture", "{p1}, the {c1.dem}-born architect, designed the new library in {y1}.",
     "{p1}, {g:p1:arquitecto nacido|arquitecta nacida} en {c1:MISC}, diseñó la nueva biblioteca de {y1}.", {"p1": "c1"}),
    ("culture", "{p1.poss} {c1.dem} publisher will release the book in {lg1} in {mon}.",
     "La editorial {c1.dem:f} de {p1} publicará el libro en {lg1} en {mon}.", {}),
    ("culture", "The exhibition, which opens in {y1} on {date}, brings together {big} photographs.",
     "La exposición, que se inaugura en {y1} el {date}, reúne {big} fotografías.", {}),
    ("culture", "Half of the audience left before the end of the play.",
     "La mitad del público se marchó antes del final de la obra.", {}),
    ("culture", "The radio station broadcasts in {lg1}, {lg2} and {lg3}.",
     "La emisora emite en {lg1}, {lg2} y {lg3}.", {}),
    ("culture", "Who will play {p1} in the film about {ev1}?",
     "¿Quién interpretará a {p1} en la película sobre {ev1}?", {}),
]

NUMBER_SLOTS = ("num", "num2", "big", "dec", "bn", "mag", "yr", "fyr", "mon", "dow", "date")
DIRECTIVE = re.compile(r"\{([^{}]+)\}")
SENT = "\x00"


def _pool(slot: str) -> str:
    return re.match(r"[a-z]+", slot).group(0)


class Filler:
    """Chooses what fills each slot of one template, honouring ties and keeping slots distinct."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.countries = {c[0]: c for c in C}
        self.cities = [(en, es, key) for en, es, key in CITIES] + [(c[8], c[9], c[0]) for c in C]

    def person(self, culture: Optional[str], taken: set) -> dict:
        """A person not yet in ``taken`` (a set of full names and surnames of this sentence)."""
        rng = self.rng
        culture = culture or rng.choice(sorted(CULTURES))
        pool = CULTURES[culture]
        while True:
            gender = rng.choice("mf")
            first = rng.choice(pool[gender])
            last = rng.choice(pool["last"])
            if gender == "f":  # Greek and Polish surnames have feminine forms
                last = pool.get("fem", {}).get(last, last)
            eastern = pool.get("order") == "eastern"
            full = f"{last} {first}" if eastern else f"{first} {last}"
            if full not in taken and last not in taken:
                taken.update((full, last))
                short = last[0].upper() + last[1:]  # "van der Berg" alone is "Van der Berg"
                return {"en": full, "es": full, "last": short, "gender": gender, "num": "s", "label": "PER"}

    def fill(self, slots: List[str], ties: Dict[str, str]) -> Dict[str, dict]:
        rng = self.rng
        vals: Dict[str, dict] = {}
        used: Dict[str, set] = {}

        def of_pool(pool):
            return [s for s in slots if _pool(s) == pool]

        # 1. companies and organisations: they constrain nothing but countries
        for s in of_pool("co"):
            name, key = rng.choice([x for x in COMPANIES if x[0] not in used.setdefault("co", set())])
            used["co"].add(name)
            vals[s] = {"en": name, "es": name, "en_art": "", "es_art": "", "num": "s", "label": "ORG", "country": key}
        for s in slots:
            pool = _pool(s)
            if pool in ORGS:
                options = [o for o in ORGS[pool] if o[0] not in used.setdefault(pool, set())]
                en, en_art, es, es_art, num = rng.choice(options)
                used[pool].add(en)
                vals[s] = {"en": en, "en_art": en_art, "es": es, "es_art": es_art, "num": num,
                           "label": LABELS[pool], "region": LENDS_TO.get(en)}
        # 2. countries: a company's own, one of a region, or any
        for s in of_pool("c"):
            tie = ties.get(s, "")
            taken = used.setdefault("c", set())
            if tie in vals and "country" in vals[tie]:
                key = vals[tie]["country"]
            else:
                region = tie[1:] if tie.startswith("@") else (vals[tie]["region"] if tie in vals else None)
                allowed = REGIONS[region] if region else self.countries
                key = rng.choice([k for k in sorted(self.countries) if k in allowed and k not in taken])
            taken.add(key)
            c = self.countries[key]
            vals[s] = {"key": key, "en": c[1], "en_art": c[2], "es": c[3], "es_art": c[4], "num": c[5],
                       "dem_en": c[6], "dem_es": c[7].split(), "cap_en": c[8], "cap_es": c[9], "culture": c[10],
                       "label": "LOC"}
        # 3. cities: in a country (its capital only if it has no other city) or anywhere
        for s in of_pool("y"):
            taken = used.setdefault("y", set())
            options = [c for c in self.cities if c[0] not in taken]
            tie = ties.get(s)
            if tie in vals:
                key = vals[tie].get("key", vals[tie].get("country"))
                inside = [c for c in options if c[2] == key]
                options = [c for c in inside if c[0] != self.countries[key][8]] or inside or options
            en, es, key = rng.choice(options)
            taken.add(en)
            vals[s] = {"en": en, "es": es, "en_art": "", "es_art": "", "num": "s", "label": "LOC", "key": key}
        # 4. people: from the culture of a country or city, or of any culture
        taken_people: set = set()
        for s in of_pool("p"):
            culture = None
            tie = ties.get(s)
            if tie in vals:
                culture = vals[tie].get("culture") or self.countries[vals[tie]["key"]][10]
            vals[s] = self.person(culture, taken_people)
        return vals

    def numbers(self) -> Dict[str, Tuple[str, str]]:
        rng = self.rng
        out: Dict[str, Tuple[str, str]] = {}
        n = rng.randint(2, 12)
        out["num"] = (str(n), str(n))
        n2 = rng.choice([15, 20, 25, 30, 40, 50, 60, 75, 80, 120, 150, 200, 300, 450])
        out["num2"] = (str(n2), str(n2))
        big = rng.choice(range(150, 9800, 50))
        out["big"] = (f"{big:,}", str(big))  # RAE: no separator in four-digit numbers
        for key, lo, hi in (("dec", 11, 99), ("bn", 12, 95), ("mag", 50, 79)):
            d = rng.randint(lo, hi)
            out[key] = (f"{d // 10}.{d % 10}", f"{d // 10},{d % 10}")
        y = rng.randint(1991, 2024)
        out["yr"] = (str(y), str(y))
        fy = rng.randint(2026, 2035)
        out["fyr"] = (str(fy), str(fy))
        out["mon"] = rng.choice(MONTHS)
        out["dow"] = rng.choice(DAYS)
        day = rng.randint(1, 28)
        m = rng.choice(MONTHS)
        out["date"] = (f"{day} {m[0]}", f"{day} de {m[1]}")
        return out


def _slots(template: str) -> List[str]:
    names = []
    for d in DIRECTIVE.findall(template):
        if d.startswith(("g:", "n:")):
            names += re.split(r"\+", d.split(":")[1])
        elif not d.startswith("="):
            names.append(re.split(r"[.:]", d)[0])
    return [n for n in names if n not in NUMBER_SLOTS]


def _choose(alts: str, pick_second: bool) -> str:
    a, b = alts.split("|")
    return b if pick_second else a


def render(template: str, lang: str, vals: Dict[str, dict], nums: Dict[str, Tuple[str, str]]) -> List[Tuple[str, Optional[str]]]:
    """The sentence as segments (text, label-or-None)."""
    li = 0 if lang == "en" else 1
    segs: List[Tuple[str, Optional[str]]] = []
    pos = 0
    for m in DIRECTIVE.finditer(template):
        segs.append((template[pos:m.start()], None))
        pos = m.end()
        d = m.group(1)
        if d.startswith("g:"):
            _, refs, alts = d.split(":", 2)
            female = all(vals[r]["gender"] == "f" for r in refs.split("+"))
            segs.append((_choose(alts, female), None))
        elif d.startswith("n:"):
            _, ref, alts = d.split(":", 2)
            segs.append((_choose(alts, vals[ref]["num"] == "p"), None))
        elif d.startswith("="):
            label, text = d[1:].split(":", 1)
            segs.append((text, label))
        else:
            head, _, arg = d.partition(":")
            slot, _, attr = head.partition(".")
            if slot in NUMBER_SLOTS:
                segs.append((nums[slot][li], None))
                continue
            v = vals[slot]
            label = arg if arg and arg.isupper() else v["label"]
            art = v.get(f"{lang}_art", "")
            name = v[lang]
            if attr == "last":
                segs.append((v["last"], "PER"))
            elif attr == "cap":
                segs.append((v[f"cap_{lang}"], "LOC"))
            elif attr == "dem":
                if lang == "en":
                    segs.append((v["dem_en"], "MISC"))
                else:
                    form = vals[arg]["gender"] if arg in vals else arg
                    segs.append((v["dem_es"][["m", "f", "mp", "fp"].index(form)], "MISC"))
            elif attr == "poss":
                assert lang == "en"
                if art:
                    segs.append((art + " ", None))
                segs.append((name, label))
                segs.append(("'" if name.endswith("s") and art else "'s", None))
            else:
                if art and attr != "bare":
                    segs.append((art + " ", None))
                segs.append((name, label))
    segs.append((template[pos:], None))
    return [s for s in segs if s[0]]


def _merge(segs):
    out: List[Tuple[str, Optional[str]]] = []
    for text, label in segs:
        if out and label is None and out[-1][1] is None:
            out[-1] = (out[-1][0] + text, None)
        else:
            out.append((text, label))
    return out


ES_RULES = [
    (re.compile(r"\bde el\b"), "del"),
    (re.compile(r"\ba el\b"), "al"),
    # y -> e before an /i/ sound, o -> u before an /o/ sound
    (re.compile(r"\by (?=\x00?(?:[IiÍí][^aeouáéó]|[Hh][IiÍí][^aeouáéó]))"), "e "),
    (re.compile(r"\bo (?=\x00?(?:[OoÓó]|[Hh][OoÓó]))"), "u "),
]
EN_RULES = [(re.compile(r"\b([Aa]) (?=\x00?[AEIOaeio])"), r"\1n ")]


def postprocess(segs, lang: str):
    segs = _merge(segs)
    rules = EN_RULES if lang == "en" else ES_RULES
    out = []
    for i, (text, label) in enumerate(segs):
        if label is None:
            nxt = "".join(t for t, _ in segs[i + 1:])[:20]
            s = text + SENT + nxt
            for pat, repl in rules:
                s = pat.sub(repl, s)
            text = s.split(SENT)[0]
        out.append((text, label))
    # capitalise the first letter of the sentence
    for i, (text, label) in enumerate(out):
        m = re.search(r"[^\W\d_]", text)
        if m:
            out[i] = (text[:m.start()] + text[m.start()].upper() + text[m.start() + 1:], label)
            break
    return out


def tokenize(segs, nlp) -> dict:
    text = ""
    chars = []
    for seg, label in segs:
        if label is not None:
            chars.append((len(text), len(text) + len(seg), label))
        text += seg
    assert "  " not in text and text == text.strip(), text
    doc = nlp(text)
    spans = []
    for start, end, label in chars:
        span = doc.char_span(start, end, label=label, alignment_mode="strict")
        if span is None:
            raise ValueError(f"entity {text[start:end]!r} is not on token boundaries in {text!r}")
        spans.append([span.start, span.end, label])
    return {"text": text, "words": [t.text for t in doc], "spaces": [bool(t.whitespace_) for t in doc], "spans": spans}


def generate(seed: int = SEED, rounds: int = N_ROUNDS) -> List[dict]:
    import spacy

    nlp = {"en": spacy.blank("en"), "es": spacy.blank("es")}
    rng = random.Random(seed)
    filler = Filler(rng)
    records = []
    seen = set()
    for _round in range(rounds):
        for t_id, (domain, en, es, ties) in enumerate(T):
            for _attempt in range(20):
                slots = sorted(set(_slots(en) + _slots(es)))
                vals = filler.fill(slots, ties)
                nums = filler.numbers()
                sides = {}
                for lang, tpl in (("en", en), ("es", es)):
                    sides[lang] = tokenize(postprocess(render(tpl, lang, vals, nums), lang), nlp[lang])
                if sides["en"]["text"] not in seen:
                    break
            else:
                continue  # a template without slots appears once
            seen.add(sides["en"]["text"])
            records.append({"template": t_id, "domain": domain, "source": sides["en"], "target": sides["es"]})
    order = list(range(len(records)))
    rng.shuffle(order)
    out = []
    for i, j in enumerate(order):
        rec = records[j]
        out.append({
            "id": f"en-es-{i + 1:04d}",
            "domain": rec["domain"],
            "template": rec["template"],
            "source": {k: rec["source"][k] for k in ("words", "spaces", "spans")},
            "target": {k: rec["target"][k] for k in ("words", "spaces", "spans")},
        })
    return out


def write(records: List[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf8", newline="\n") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--print", action="store_true", help="also print the sentences")
    args = parser.parse_args(argv)
    records = generate(args.seed)
    write(records, args.out)
    if args.print:
        for rec in records:
            for side in ("source", "target"):
                words = rec[side]["words"]
                marks = ["" for _ in words]
                for s, e, lab in rec[side]["spans"]:
                    marks[s] += "["
                    marks[e - 1] += f"]{lab}"
                print(" ".join((("[" if "[" in m else "") + w + m.replace("[", "")) for w, m in zip(words, marks)))
            print()
    print(f"{len(records)} pairs from {len(T)} templates written to {args.out}")


if __name__ == "__main__":
    main()
