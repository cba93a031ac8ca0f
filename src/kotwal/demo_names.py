"""Name parts for the demo's synthetic persons, each with its Telugu spelling.

Telangana-like: a house name (intiperu) before the given name, sometimes a community name after
it (Reddy, Goud, Yadav, ...), and Muslim names with their own family names and patterns. The
parts are common ones, so every combination is an ordinary-looking name and none is a real
person's: the demo draws them at random. About 9,000 given-and-house pairs, times the community
names and the two orders (family name first or last), give a few hundred thousand spellings,
so that at a million persons a name matches a realistic handful of records, not thousands.

The tables are aligned by hand (``# fmt: skip``): pairs in rows read better than one a line.
"""

from __future__ import annotations

#: Given names of men (Telugu and Hindi-derived names common in Telangana).
MALE = [
    ("Srinivas", "శ్రీనివాస్"), ("Ravi", "రవి"), ("Ramesh", "రమేష్"), ("Suresh", "సురేష్"),
    ("Mahesh", "మహేష్"), ("Naresh", "నరేష్"), ("Venkatesh", "వెంకటేష్"), ("Anil", "అనిల్"),
    ("Sunil", "సునీల్"), ("Kiran", "కిరణ్"), ("Prasad", "ప్రసాద్"), ("Raju", "రాజు"),
    ("Krishna", "కృష్ణ"), ("Rajesh", "రాజేష్"), ("Srikanth", "శ్రీకాంత్"), ("Praveen", "ప్రవీణ్"),
    ("Venkateswarlu", "వెంకటేశ్వర్లు"), ("Ravi Kumar", "రవి కుమార్"), ("Sai Kiran", "సాయి కిరణ్"),
    ("Mallesh", "మల్లేష్"), ("Mallaiah", "మల్లయ్య"), ("Yadagiri", "యాదగిరి"),
    ("Narsimha", "నర్సింహ"), ("Narsaiah", "నర్సయ్య"), ("Balaraju", "బాలరాజు"),
    ("Ramulu", "రాములు"), ("Komuraiah", "కొమురయ్య"), ("Ellaiah", "ఎల్లయ్య"),
    ("Anjaiah", "అంజయ్య"), ("Rajaiah", "రాజయ్య"), ("Sammaiah", "సమ్మయ్య"),
    ("Bhaskar", "భాస్కర్"), ("Shankar", "శంకర్"), ("Ashok", "అశోక్"), ("Vinod", "వినోద్"),
    ("Santosh", "సంతోష్"), ("Prakash", "ప్రకాష్"), ("Sudhakar", "సుధాకర్"),
    ("Prabhakar", "ప్రభాకర్"), ("Madhukar", "మధుకర్"), ("Dinesh", "దినేష్"), ("Ganesh", "గణేష్"),
    ("Harish", "హరీష్"), ("Satish", "సతీష్"), ("Sridhar", "శ్రీధర్"), ("Raghu", "రఘు"),
    ("Chandu", "చందు"), ("Vamshi", "వంశీ"), ("Nagaraju", "నాగరాజు"), ("Nagesh", "నాగేష్"),
    ("Anand", "ఆనంద్"), ("Arjun", "అర్జున్"), ("Bharath", "భరత్"), ("Charan", "చరణ్"),
    ("Karthik", "కార్తీక్"), ("Manoj", "మనోజ్"), ("Nikhil", "నిఖిల్"), ("Pavan", "పవన్"),
    ("Rakesh", "రాకేష్"), ("Sandeep", "సందీప్"), ("Shiva", "శివ"), ("Tirupathi", "తిరుపతి"),
    ("Upender", "ఉపేందర్"), ("Venu", "వేణు"), ("Jangaiah", "జంగయ్య"), ("Laxman", "లక్ష్మణ్"),
    ("Raghavendra", "రాఘవేంద్ర"), ("Devender", "దేవేందర్"), ("Surender", "సురేందర్"),
    ("Mahender", "మహేందర్"), ("Ravinder", "రవీందర్"), ("Rajender", "రాజేందర్"),
    ("Narender", "నరేందర్"), ("Veeranna", "వీరన్న"), ("Ilaiah", "ఐలయ్య"), ("Saidulu", "సైదులు"),
    ("Lingaiah", "లింగయ్య"), ("Kishan", "కిషన్"), ("Srisailam", "శ్రీశైలం"), ("Shekar", "శేఖర్"),
    ("Somaiah", "సోమయ్య"), ("Mohan", "మోహన్"), ("Gopal", "గోపాల్"), ("Hanmanth", "హన్మంత్"),
    ("Buchaiah", "బుచ్చయ్య"), ("Pochaiah", "పోచయ్య"), ("Bikshapathi", "భిక్షపతి"),
    ("Sathaiah", "సత్తయ్య"), ("Mallikarjun", "మల్లికార్జున్"), ("Ramakrishna", "రామకృష్ణ"),
    ("Sairam", "సాయిరాం"), ("Ajay", "అజయ్"), ("Vijay", "విజయ్"), ("Sanjay", "సంజయ్"),
    ("Kranthi", "క్రాంతి"), ("Naveen", "నవీన్"),
]  # fmt: skip

#: Given names of women.
FEMALE = [
    ("Lakshmi", "లక్ష్మి"), ("Sravani", "శ్రావణి"), ("Swapna", "స్వప్న"), ("Madhavi", "మాధవి"),
    ("Padma", "పద్మ"), ("Anitha", "అనిత"), ("Sunitha", "సునీత"), ("Kavitha", "కవిత"),
    ("Saritha", "సరిత"), ("Mamatha", "మమత"), ("Radha", "రాధ"), ("Renuka", "రేణుక"),
    ("Rajitha", "రజిత"), ("Shobha", "శోభ"), ("Sujatha", "సుజాత"), ("Vijaya", "విజయ"),
    ("Jyothi", "జ్యోతి"), ("Bhavani", "భవాని"), ("Manjula", "మంజుల"), ("Sandhya", "సంధ్య"),
    ("Rama", "రమ"), ("Sarojini", "సరోజిని"), ("Yadamma", "యాదమ్మ"), ("Ellamma", "ఎల్లమ్మ"),
    ("Pochamma", "పోచమ్మ"), ("Mallamma", "మల్లమ్మ"), ("Sammakka", "సమ్మక్క"),
    ("Anjamma", "అంజమ్మ"), ("Swathi", "స్వాతి"), ("Divya", "దివ్య"), ("Keerthi", "కీర్తి"),
    ("Haritha", "హరిత"), ("Navya", "నవ్య"), ("Pooja", "పూజ"), ("Ramya", "రమ్య"),
    ("Sirisha", "శిరీష"), ("Deepika", "దీపిక"), ("Uma", "ఉమ"), ("Sharada", "శారద"),
    ("Kalpana", "కల్పన"), ("Rani", "రాణి"), ("Sunanda", "సునంద"), ("Aruna", "అరుణ"),
    ("Kamala", "కమల"), ("Parvathi", "పార్వతి"), ("Sangeetha", "సంగీత"), ("Latha", "లత"),
    ("Hemalatha", "హేమలత"), ("Vani", "వాణి"), ("Bhagya", "భాగ్య"), ("Sumalatha", "సుమలత"),
]  # fmt: skip

#: House names (intiperlu), written before the given name in Telugu usage.
HOUSE = [
    ("Kommu", "కొమ్ము"), ("Bandi", "బండి"), ("Gollapudi", "గొల్లపూడి"),
    ("Pasupuleti", "పసుపులేటి"), ("Kandula", "కందుల"), ("Boddu", "బొడ్డు"), ("Mekala", "మేకల"),
    ("Peddi", "పెద్ది"), ("Thota", "తోట"), ("Chinthala", "చింతల"), ("Gaddam", "గడ్డం"),
    ("Gundu", "గుండు"), ("Erra", "ఎర్ర"), ("Mamidi", "మామిడి"), ("Mittapalli", "మిట్టపల్లి"),
    ("Kasani", "కాసాని"), ("Jakkula", "జక్కుల"), ("Pulla", "పుల్ల"), ("Gajula", "గాజుల"),
    ("Cheruku", "చెరుకు"), ("Nalla", "నల్ల"), ("Bollam", "బొల్లం"), ("Burra", "బుర్ర"),
    ("Dasari", "దాసరి"), ("Pittala", "పిట్టల"), ("Konda", "కొండ"), ("Kothapalli", "కొత్తపల్లి"),
    ("Velpula", "వేల్పుల"), ("Madasu", "మాదాసు"), ("Akula", "ఆకుల"), ("Ambati", "అంబటి"),
    ("Anumula", "అనుముల"), ("Bairi", "బైరి"), ("Banoth", "బానోత్"), ("Bhukya", "భూక్య"),
    ("Guguloth", "గుగులోత్"), ("Dharavath", "ధరావత్"), ("Lavudya", "లావుడ్య"),
    ("Ajmeera", "అజ్మీరా"), ("Malothu", "మాలోతు"), ("Boda", "బోడ"), ("Chintha", "చింత"),
    ("Dandu", "దండు"), ("Ganta", "గంట"), ("Gattu", "గట్టు"), ("Golla", "గొల్ల"),
    ("Inugala", "ఇనుగాల"), ("Kadem", "కడెం"), ("Karre", "కర్రె"), ("Kotha", "కొత్త"),
    ("Kummari", "కుమ్మరి"), ("Kunta", "కుంట"), ("Mandala", "మండల"), ("Manne", "మన్నె"),
    ("Marri", "మర్రి"), ("Mogili", "మొగిలి"), ("Mothe", "మోతె"), ("Muthyala", "ముత్యాల"),
    ("Nagula", "నాగుల"), ("Narra", "నర్ర"), ("Oggu", "ఒగ్గు"), ("Padala", "పడాల"),
    ("Palle", "పల్లె"), ("Pandiri", "పందిరి"), ("Pendem", "పెండెం"), ("Perka", "పెర్క"),
    ("Ponnam", "పొన్నం"), ("Puli", "పులి"), ("Ravula", "రావుల"), ("Sabbani", "సబ్బని"),
    ("Sadula", "సాదుల"), ("Sangem", "సంగెం"), ("Sirikonda", "సిరికొండ"), ("Talla", "తల్ల"),
    ("Uppu", "ఉప్పు"), ("Vanga", "వంగ"), ("Vemula", "వేముల"), ("Bojja", "బొజ్జ"),
    ("Chityala", "చిట్యాల"), ("Dubbaka", "దుబ్బాక"), ("Gangula", "గంగుల"), ("Gundla", "గుండ్ల"),
    ("Jadi", "జాడి"), ("Kandukuri", "కందుకూరి"), ("Kasarla", "కాసర్ల"), ("Kurra", "కుర్ర"),
    ("Medi", "మేడి"), ("Nandi", "నంది"), ("Odela", "ఓదెల"), ("Pabba", "పబ్బ"),
    ("Rachamalla", "రాచమల్ల"), ("Sama", "సామ"), ("Veeramalla", "వీరమల్ల"), ("Bathula", "బత్తుల"),
    ("Edla", "ఎడ్ల"), ("Gorre", "గొర్రె"), ("Kola", "కోల"), ("Nerella", "నేరెళ్ల"),
    ("Pothula", "పోతుల"), ("Rayala", "రాయల"), ("Sunkari", "సుంకరి"), ("Thumma", "తుమ్మ"),
    ("Yerram", "ఎర్రం"), ("Allam", "అల్లం"), ("Balla", "బల్ల"), ("Gadde", "గద్దె"),
    ("Kalva", "కాల్వ"), ("Nimmala", "నిమ్మల"), ("Pilli", "పిల్లి"),
]  # fmt: skip

#: Community names some men write after the given name ("Gaddam Srinivas Reddy").
MALE_SUFFIX = [
    ("Reddy", "రెడ్డి"), ("Goud", "గౌడ్"), ("Yadav", "యాదవ్"), ("Chary", "చారి"), ("Rao", "రావు"),
    ("Naidu", "నాయుడు"), ("Varma", "వర్మ"), ("Mudiraj", "ముదిరాజ్"), ("Naik", "నాయక్"),
    ("Kumar", "కుమార్"),
]  # fmt: skip
FEMALE_SUFFIX = [("Devi", "దేవి"), ("Bai", "బాయి"), ("Kumari", "కుమారి")]

MUSLIM_MALE = [
    ("Imran", "ఇమ్రాన్"), ("Yousuf", "యూసుఫ్"), ("Salim", "సలీం"), ("Rafiq", "రఫీక్"),
    ("Aslam", "అస్లం"), ("Javed", "జావేద్"), ("Khaja", "ఖాజా"), ("Moinuddin", "మొయినుద్దీన్"),
    ("Nawaz", "నవాజ్"), ("Sharif", "షరీఫ్"), ("Afzal", "అఫ్జల్"), ("Ismail", "ఇస్మాయిల్"),
    ("Riyaz", "రియాజ్"), ("Sameer", "సమీర్"), ("Feroz", "ఫిరోజ్"), ("Akbar", "అక్బర్"),
    ("Jaleel", "జలీల్"), ("Hussain", "హుస్సేన్"), ("Mujeeb", "ముజీబ్"), ("Azhar", "అజహర్"),
    ("Irfan", "ఇర్ఫాన్"), ("Rahim", "రహీం"), ("Kareem", "కరీం"), ("Zaheer", "జహీర్"),
    ("Mahboob", "మహబూబ్"), ("Abdul Khader", "అబ్దుల్ ఖాదర్"),
]  # fmt: skip
MUSLIM_FEMALE = [
    ("Salma", "సల్మా"), ("Shabana", "షబానా"), ("Farzana", "ఫర్జానా"), ("Ayesha", "ఆయేషా"),
    ("Nasreen", "నస్రీన్"), ("Rukhsana", "రుక్సానా"), ("Fathima", "ఫాతిమా"), ("Zareena", "జరీనా"),
    ("Parveen", "పర్వీన్"), ("Heena", "హీనా"), ("Sultana", "సుల్తానా"),
]  # fmt: skip
#: Muslim family names written first ("Shaik Salim", "Mohammed Abdul Rafiq") ...
MUSLIM_FAMILY = [
    ("Shaik", "షేక్"), ("Mohammed", "మహమ్మద్"), ("Syed", "సయ్యద్"), ("Ansari", "అన్సారీ"),
    ("Qureshi", "ఖురేషీ"), ("Siddiqui", "సిద్దిఖీ"), ("Baig", "బేగ్"),
]  # fmt: skip
#: ... or last ("Salim Khan", "Afzal Pasha").
MUSLIM_LAST = [("Khan", "ఖాన్"), ("Pasha", "పాషా"), ("Ali", "అలీ"), ("Ahmed", "అహ్మద్")]
MUSLIM_MIDDLE = [("Abdul", "అబ్దుల్"), ("Khaja", "ఖాజా"), ("Mohammed", "మహమ్మద్")]

CHRISTIAN_MALE = [
    ("John", "జాన్"), ("Joseph", "జోసెఫ్"), ("David", "డేవిడ్"), ("Paul", "పాల్"),
    ("Samuel", "శామ్యూల్"), ("Daniel", "డేనియల్"), ("Prabhudas", "ప్రభుదాస్"),
]  # fmt: skip
CHRISTIAN_FEMALE = [("Mary", "మేరీ"), ("Esther", "ఎస్తేర్"), ("Ruth", "రూత్"), ("Grace", "గ్రేస్")]

#: What friends and the street call someone.
NICKNAMES = [
    ("Chinna", "చిన్న"), ("Pedda", "పెద్ద"), ("Bujji", "బుజ్జి"), ("Chotu", "చోటు"),
    ("Kittu", "కిట్టు"), ("Pandu", "పండు"), ("Tillu", "టిల్లు"), ("Munna", "మున్నా"),
    ("Babu", "బాబు"), ("Bablu", "బబ్లు"), ("Sunny", "సన్నీ"), ("Nani", "నాని"),
    ("Lucky", "లక్కీ"), ("Bunty", "బంటీ"), ("Pintu", "పింటు"), ("Guddu", "గుడ్డు"),
]  # fmt: skip
