"""Published sources of the pharmacokinetic parameters, shared by the source modules.

Each `Reference` is cited by key from `Parameter.source`. A DOI is given only where it was checked; where it
was not, the citation says where the values were read.
"""

from __future__ import annotations

from ketasim.parameters.registry import Reference

KAMP2020 = Reference(
    "kamp2020",
    "Kamp J, Olofsen E, Henthorn TK, van Velzen M, Niesters M, Dahan A; Ketamine Pharmacokinetic Study Group. "
    "Ketamine pharmacokinetics: a systematic review of the literature, meta-analysis, and population analysis. "
    "Anesthesiology 2020;133(6):1192-1213 (meta-analysis of 18 studies; raw-data model of 14 data sets, its "
    "typical values as transcribed in the opentiva library, opentiva/ketamine.py)",
    "10.1097/ALN.0000000000003577",
)
DOMINO_OPENTIVA = Reference(
    "domino_opentiva",
    "Domino EF et al. three-compartment model of racemic ketamine (PMID 7198883), micro-constants as "
    "implemented in the opentiva library (opentiva/ketamine.py, class Domino: V1 0.063 L/kg, k13 0.59 /min)",
)
WANG2019 = Reference(
    "wang2019",
    "Wang J, Huang J, Yang S, et al. Pharmacokinetics and safety of esketamine in Chinese patients undergoing "
    "painless gastroscopy in comparison with ketamine: a randomized, open-label clinical study. Drug Des Devel "
    "Ther 2019;13:4135-4144",
    "10.2147/DDDT.S224553",
)
HENTHORN2018 = Reference(
    "henthorn2018",
    "Henthorn TK, Avram MJ, Dahan A, Gustafsson LL, Persson J, Krejcie TC, Olofsen E. Combined "
    "recirculatory-compartmental population pharmacokinetic modeling of arterial and venous plasma S(+) and "
    "R(-) ketamine concentrations. Anesthesiology 2018;129(2):260 (DOI not checked here)",
)
PEREZ_RUIXO2021 = Reference(
    "perez_ruixo2021",
    "Perez-Ruixo C, Rossenu S, Zannikos P, Nandy P, Singh J, Drevets WC, Perez-Ruixo JJ. Population "
    "pharmacokinetics of esketamine nasal spray and its metabolite noresketamine in healthy subjects and "
    "patients with treatment-resistant depression. Clin Pharmacokinet 2021;60(4):501-516 (Table 3 values as "
    "coded in nlmixr2lib, model PerezRuixo_2020_esketamine, with its errata)",
    "10.1007/s40262-020-00953-4",
)
OTTO2021 = Reference(
    "otto2021",
    "Otto ME, Bergmann KR, Jacobs GE, van Velzen M. Predictive performance of parent-metabolite population "
    "pharmacokinetic models of (S)-ketamine in healthy volunteers. Eur J Clin Pharmacol 2021;77(8):1181-1192",
    "10.1007/s00228-021-03104-1",
)

FANTA2015 = Reference(
    "fanta2015",
    "Fanta S, Kinnunen M, Backman JT, Kalso E. Population pharmacokinetics of S-ketamine and norketamine in "
    "healthy volunteers after intravenous and oral dosing. Eur J Clin Pharmacol 2015;71(4):441-447",
    "10.1007/s00228-015-1826-y",
)
SIMONS2022 = Reference(
    "simons2022",
    "Simons P, Olofsen E, van Velzen M, et al. S-ketamine oral thin film - part 1: population pharmacokinetics "
    "of S-ketamine, S-norketamine and S-hydroxynorketamine. Front Pain Res 2022;3:946486",
    "10.3389/fpain.2022.946486",
)
CHONG2006 = Reference(
    "chong2006",
    "Chong C, Schug S, Page-Sharp M, Ilett K. Bioavailability of ketamine after oral or sublingual "
    "administration. Pain Med 2006;7(5):469 (abstract; 6 patients, 10 mg IV, 25 mg oral and sublingual)",
)
ROLAN2014 = Reference(
    "rolan2014",
    "Rolan P, Lim S, Sunderland V, Liu Y, Molnar V. The absolute bioavailability of racemic ketamine from a "
    "novel sublingual formulation. Br J Clin Pharmacol 2014;77(6):1011-1016",
    "10.1111/bcp.12264",
)
YANAGIHARA2003 = Reference(
    "yanagihara2003",
    "Yanagihara Y, et al. Plasma concentration profiles of ketamine and norketamine after administration of "
    "various ketamine preparations to healthy Japanese volunteers. Biopharm Drug Dispos 2003;24(1):37-43",
    "10.1002/bdd.336",
)
PHARMACOTHERAPY2022 = Reference(
    "pharmacotherapy2022",
    "Intranasal and intravenous racemic ketamine pharmacokinetics, Pharmacotherapy 2022;42(4):298-310, "
    "Table 6 (PMC9118341)",
    "10.1002/phar.2669",
)
CLEMENTS1982 = Reference(
    "clements1982",
    "Clements JA, Nimmo WS, Grant IS. Bioavailability, pharmacokinetics, and analgesic activity of ketamine in "
    "humans. J Pharm Sci 1982;71:539-542 (value read from secondary summaries; DOI not checked here)",
)
ZANOS2018 = Reference(
    "zanos2018",
    "Zanos P, Moaddel R, Morris PJ, et al. Ketamine and ketamine metabolite pharmacology: insights into "
    "therapeutic mechanisms. Pharmacol Rev 2018;70(3):621 (Table 1: clinical doses and plasma concentrations)",
    "10.1124/pr.117.015198",
)
FAVA2020 = Reference(
    "fava2020",
    "Fava M, Freeman MP, Flynn M, et al. Double-blind, placebo-controlled, dose-ranging trial of intravenous "
    "ketamine as adjunctive therapy in treatment-resistant depression (TRD). Mol Psychiatry 2020;25:1592-1603",
    "10.1038/s41380-018-0256-5",
)
PELTONIEMI2016 = Reference(
    "peltoniemi2016",
    "Peltoniemi MA, Hagelberg NM, Olkkola KT, Saari TI. Ketamine: a review of clinical pharmacokinetics and "
    "pharmacodynamics in anesthesia and pain therapy. Clin Pharmacokinet 2016;55:1059-1077",
    "10.1007/s40262-016-0383-6",
)
OLOFSEN2012 = Reference(
    "olofsen2012",
    "Olofsen E, Noppers I, Niesters M, et al. Estimation of the contribution of norketamine to "
    "ketamine-induced acute pain relief and neurocognitive impairment in healthy volunteers. Anesthesiology "
    "2012;117:353 (DOI not checked here)",
)
SIGTERMANS2009 = Reference(
    "sigtermans2009",
    "Sigtermans M, Dahan A, Mooren R, Bauer M, Kest B, Sarton E, Olofsen E. S(+)-ketamine effect on "
    "experimental pain and cardiac output: a population pharmacokinetic-pharmacodynamic modeling study in "
    "healthy volunteers. Anesthesiology 2009;111(4):892-903",
    "10.1097/ALN.0b013e3181b437b1",
)
RAO2016 = Reference(
    "rao2016",
    "Rao LK, Flaker AM, Friedel CC, Kharasch ED. Role of cytochrome P4502B6 polymorphisms in ketamine "
    "metabolism and clearance. Anesthesiology 2016;125(6):1103-1112",
    "10.1097/ALN.0000000000001392",
)
SPRAVATO_SWISS = Reference(
    "spravato_swiss_label",
    "SPRAVATO (esketamine) nasal spray, Swiss prescribing information (Swissmedic): plasma protein binding of "
    "esketamine 43-45 %",
)
ALBRECHT1999 = Reference(
    "albrecht1999",
    "Albrecht S, et al. The effect of age on the pharmacokinetics and pharmacodynamics of midazolam. Clin "
    "Pharmacol Ther 1999;65:630 (three-compartment model, values for age < 65 as implemented in the opentiva "
    "library, opentiva/midazolam.py, class Albrecht)",
    "10.1016/S0009-9236(99)90084-X",
)
ALLONEN1981 = Reference(
    "allonen1981",
    "Allonen H, Ziegler G, Klotz U. Midazolam kinetics. Clin Pharmacol Ther 1981;30(5):653-661",
    "10.1038/clpt.1981.217",
)
HEIZMANN1983 = Reference(
    "heizmann1983",
    "Heizmann P, Eckert M, Ziegler WH. Pharmacokinetics and bioavailability of midazolam in man. Br J Clin "
    "Pharmacol 1983;16 Suppl 1:43S-49S",
    "10.1111/j.1365-2125.1983.tb02270.x",
)
WERMELING2006 = Reference(
    "wermeling2006",
    "Wermeling DP, Record KA, Kelly TH, Archer SM, Clinch T, Rudy AC. Pharmacokinetics and pharmacodynamics "
    "of a new intranasal midazolam formulation in healthy volunteers. 2006 (12 volunteers; 5 mg intranasal, "
    "intramuscular and intravenous)",
)
SOGAARD2005 = Reference(
    "sogaard2005",
    "Søgaard B, Mengel H, Rao N, Larsen F. The pharmacokinetics of escitalopram after oral and intravenous "
    "administration of single and multiple doses to healthy subjects. J Clin Pharmacol 2005;45(12):1400-1406",
    "10.1177/0091270005280860",
)
LEXAPRO_LABEL = Reference(
    "lexapro_label",
    "LEXAPRO (escitalopram) US prescribing information: absolute oral bioavailability about 80 %, "
    "recommended maximum dose 20 mg/day",
)
IUPAC_MASSES = Reference(
    "iupac_atomic_weights",
    "Molar mass computed from the molecular formula with IUPAC standard atomic weights "
    "(C 12.011, H 1.008, N 14.007, O 15.999, F 18.998, Cl 35.45)",
)
ANDERSON_HOLFORD2008 = Reference(
    "anderson_holford2008",
    "Anderson BJ, Holford NHG. Mechanism-based concepts of size and maturity in pharmacokinetics. Annu Rev "
    "Pharmacol Toxicol 2008;48:303-332 (size referenced to 70 kg with exponents 0.75 for clearance, 1 for volume)",
    "10.1146/annurev.pharmtox.48.113006.094708",
)
KETASIM = Reference("ketasim", "ketasim modelling judgement, documented in docs/parameters.md", "")

ANDREWS_HANNA2010 = Reference(
    "andrews_hanna2010",
    "Andrews-Hanna JR, Reidler JS, Sepulcre J, Poulin R, Buckner RL. Functional-anatomic fractionation of the "
    "brain's default network. Neuron 2010;65:550-562",
    "10.1016/j.neuron.2010.02.005",
)

AUTRY2011 = Reference(
    "autry2011",
    "Autry AE, Adachi M, Nosyreva E, et al. NMDA receptor blockade at rest triggers rapid behavioural "
    "antidepressant responses. Nature 2011;475:91",
    "10.1038/nature10130",
)

BLEVINS2015 = Reference(
    "blevins2015",
    "Blevins CA, Weathers FW, Davis MT, Witte TK, Domino JL. The Posttraumatic Stress Disorder Checklist for "
    "DSM-5 (PCL-5): development and initial psychometric evaluation. J Trauma Stress 2015;28:489-498 (the same "
    "20 symptoms self-rated 0-4; 0-80)",
)

BOVIN2016 = Reference(
    "bovin2016",
    "Bovin MJ et al. (2016). Psychometric properties of the PTSD Checklist for DSM-5 (PCL-5) in veterans. "
    "Psychol Assess",
    "10.1037/pas0000254",
)

BOWDLE1998 = Reference(
    "bowdle1998",
    "Bowdle TA, Radant AD, Cowley DS, et al. Psychedelic effects of ketamine in healthy volunteers: "
    "relationship to steady-state plasma concentrations. Anesthesiology 1998;88:82-88",
    "10.1097/00000542-199801000-00015",
)

BRUNONI2008 = Reference(
    "brunoni2008",
    "Brunoni AR, Lopes M, Fregni F. A systematic review and meta-analysis of clinical studies on major "
    "depression and BDNF levels: implications for the role of neuroplasticity in depression. "
    "Int J Neuropsychopharmacol 2008;11:1169-1180",
    "10.1017/S1461145708009309",
)

EBERT1997 = Reference(
    "ebert1997",
    "Ebert B, Mikkelsen S, Thorkildsen C, Borgbjerg FM. Norketamine, the main metabolite of ketamine, is a "
    "non-competitive NMDA receptor antagonist in the rat cortex and spinal cord. Eur J Pharmacol "
    "1997;333:99-104",
    "10.1016/S0014-2999(97)01116-3",
)

EVANS2018 = Reference(
    "evans2018",
    "Evans JW, Szczepanik J, Brutsche N, Park LT, Nugent AC, Zarate CA Jr. Default mode connectivity in major "
    "depressive disorder measured up to 10 days after ketamine administration. Biol Psychiatry 2018;84:582-590",
    "10.1016/j.biopsych.2018.01.027",
)

FEDER2021 = Reference(
    "feder2021",
    "Feder A et al. A randomized controlled trial of repeated ketamine administration for chronic posttraumatic "
    "stress disorder. Am J Psychiatry 2021;178:193-202",
    "10.1176/appi.ajp.2020.20050596",
)

FOX2005 = Reference(
    "fox2005",
    "Fox MD, Snyder AZ, Vincent JL, Corbetta M, Van Essen DC, Raichle ME. The human brain is intrinsically "
    "organized into dynamic, anticorrelated functional networks. Proc Natl Acad Sci USA 2005;102:9673-9678",
    "10.1073/pnas.0504136102",
)

FRANK1991 = Reference(
    "frank1991",
    "Frank E et al. (1991). Conceptualization and rationale for consensus definitions of terms in major "
    "depressive disorder: remission, recovery, relapse, and recurrence. Arch Gen Psychiatry 48:851-855",
    "10.1001/archpsyc.1991.01810330075011",
)

FRYAR2021 = Reference(
    "fryar2021",
    "Fryar CD, Carroll MD, Gu Q, Afful J, Ogden CL. Anthropometric reference data for children and adults: "
    "United States, 2015-2018. Vital Health Stat 3. 2021;(46):1-44 (adult mean weight: men 90.6 kg, women 77.5 kg)",
    "",
)

FURUKAWA2016 = Reference(
    "furukawa2016",
    "Furukawa TA, Cipriani A, Atkinson LZ, et al. Placebo response rates in antidepressant trials: a systematic "
    "review of published and unpublished double-blind randomised controlled studies. Lancet Psychiatry "
    "2016;3:1059-1066 (DOI not checked here)",
)

GILSON2016 = Reference(
    "gilson2016",
    "Gilson M, Moreno-Bote R, Ponce-Alvarez A, Ritter P, Deco G. Estimation of directed effective connectivity "
    "from fMRI functional connectivity hints at asymmetries of cortical connectome. PLoS Comput Biol 2016",
    "10.1371/journal.pcbi.1004762",
)

GLUE2017 = Reference(
    "glue2017",
    "Glue P, Medlicott NJ, Harland S, et al. Ketamine's dose-related effects on anxiety symptoms in patients with "
    "treatment refractory anxiety disorders. J Psychopharmacol 2017;31(10):1302-1305 (anxiety reduced within "
    "1 h of dosing, persisting up to 7 days)",
    "10.1177/0269881117705089",
)

GLUE2018 = Reference(
    "glue2018",
    "Glue P, Neehoff SM, Medlicott NJ, et al. Safety and efficacy of maintenance ketamine treatment in patients "
    "with treatment-refractory generalised anxiety and social anxiety disorders. J Psychopharmacol "
    "2018;32(6):663-667 (HAM-A about halved 1 h after 1 mg/kg SC)",
)

HAMILTON1959 = Reference(
    "hamilton1959",
    "Hamilton M. The assessment of anxiety states by rating. Br J Med Psychol 1959;32:50-55 (14 items, 0-56)",
)

HAMILTON1960 = Reference(
    "hamilton1960",
    "Hamilton M. A rating scale for depression. J Neurol Neurosurg Psychiatry 1960;23:56-62 (17 items, 0-52)",
)

HAMILTON2015 = Reference(
    "hamilton2015",
    "Hamilton JP, Farmer M, Fogelman P, Gotlib IH. Depressive rumination, the default-mode network, and the dark "
    "matter of clinical neuroscience. Biol Psychiatry 2015;78:224-230",
    "10.1016/j.biopsych.2015.02.020",
)

HAN2016 = Reference(
    "han2016",
    "Han Y, Chen J, Zou D, et al. Efficacy of ketamine in the rapid treatment of major depressive disorder: a "
    "meta-analysis of randomized, double-blind, placebo-controlled studies. Neuropsychiatr Dis Treat 2016 "
    "(response 52 % at 24 h, 40 % at day 7; DOI not checked here)",
)

HOLMES2019 = Reference(
    "holmes2019",
    "Holmes SE, Scheinost D, Finnema SJ, et al. Lower synaptic density is associated with depression severity "
    "and network alterations. Nat Commun 2019;10:1529",
    "10.1038/s41467-019-09562-7",
)

JUDGEMENT = Reference(
    "judgement",
    "Modelling judgement of the ketasim developers, recorded with its reasoning in docs/model.md",
)

KAISER2015 = Reference(
    "kaiser2015",
    "Kaiser RH, Andrews-Hanna JR, Wager TD, Pizzagalli DA. Large-scale network dysfunction in major depressive "
    "disorder: a meta-analysis of resting-state functional connectivity. JAMA Psychiatry 2015;72:603-611",
    "10.1001/jamapsychiatry.2015.0071",
)

KETAMINE_MIDAZOLAM_RSFC2020 = Reference(
    "ketamine_midazolam_rsfc2020",
    "Effects of ketamine and midazolam on resting state connectivity and comparison with ENIGMA connectivity "
    "deficit patterns in schizophrenia (30 healthy men, crossover; PMCID PMC7267897), 2020",
)

KETASIM_JUDGEMENT = Reference("ketasim-judgement", "Modelling judgement of the ketasim developers (stated in the note)")

JOHNSON2016 = Reference(
    "johnson2016",
    "Johnson KM, Devine JM, Ho KF, et al. Evidence to support Montgomery-Asberg Depression Rating Scale "
    "administration every 24 hours to assess rapid onset of treatment response. J Clin Psychiatry "
    "2016;77(12):1681-1686 (test-retest ICC 0.96 and 0.91 in two TRD trials)",
)

KISHIMOTO2016 = Reference(
    "kishimoto2016",
    "Kishimoto T, Chawla JM, Hagi K, et al. Single-dose infusion ketamine and non-ketamine NMDA receptor "
    "antagonists for unipolar and bipolar depression: a meta-analysis of efficacy, safety and time "
    "trajectories. Psychol Med 2016;46:1459-1472",
    "10.1017/S0033291716000064",
)

KROENKE2001 = Reference(
    "kroenke2001",
    "Kroenke K, Spitzer RL, Williams JBW (2001). The PHQ-9: validity of a brief depression severity "
    "measure. J Gen Intern Med 16:606-613",
    "10.1046/j.1525-1497.2001.016009606.x",
)

LI2010 = Reference(
    "li2010",
    "Li N, Lee B, Liu RJ, et al. mTOR-dependent synapse formation underlies the rapid antidepressant effects "
    "of NMDA antagonists. Science 2010;329:959-964",
    "10.1126/science.1190287",
)

LII2023 = Reference(
    "lii2023",
    "Lii TR, Smith AE, Flohr JR, et al. Randomized trial of ketamine masked by surgical anesthesia in patients "
    "with depression. Nat Ment Health 2023;1:876-886",
    "10.1038/s44220-023-00140-x",
)

LUCKENBAUGH2014 = Reference(
    "luckenbaugh2014",
    "Luckenbaugh DA, Niciu MJ, Ionescu DF, et al. Do the dissociative side effects of ketamine mediate its "
    "antidepressant effects? J Affect Disord 2014;159:56-61",
    "10.1016/j.jad.2014.02.017",
)

MATZA2010 = Reference(
    "matza2010",
    "Matza LS et al. (2010). Identifying HAM-A cutoffs for mild, moderate, and severe generalized anxiety "
    "disorder. Int J Methods Psychiatr Res 19:223-232",
    "10.1002/mpr.323",
)

MEYER2004 = Reference(
    "meyer2004",
    "Meyer JH, Wilson AA, Sagrati S, et al. Serotonin transporter occupancy of five selective serotonin reuptake "
    "inhibitors at different doses: an [11C]DASB positron emission tomography study. Am J Psychiatry "
    "2004;161:826-835 (about 80 % occupancy at minimum therapeutic doses)",
    "10.1176/appi.ajp.161.5.826",
)

MILAK2016 = Reference(
    "milak2016",
    "Milak MS, Proper CJ, Mulhern ST, et al. A pilot in vivo proton magnetic resonance spectroscopy study of "
    "amino acid neurotransmitter response to ketamine treatment of major depressive disorder. Mol Psychiatry "
    "2016;21:320-327",
    "10.1038/mp.2015.83",
)

MODA_SAVA2019 = Reference(
    "moda_sava2019",
    "Moda-Sava RN, Murdock MH, Parekh PK, et al. Sustained rescue of prefrontal circuit dysfunction by "
    "antidepressant-induced spine formation. Science 2019;364:eaat8078",
    "10.1126/science.aat8078",
)

MONTGOMERY1979 = Reference(
    "montgomery1979",
    "Montgomery SA, Asberg M. A new depression scale designed to be sensitive to change. Br J Psychiatry "
    "1979;134:382-389 (10 items, 0-60)",
)

MURROUGH2013 = Reference(
    "murrough2013",
    "Murrough JW et al. Antidepressant efficacy of ketamine in treatment-resistant major depression: a two-site "
    "randomized controlled trial. Am J Psychiatry 2013;170:1134-1142 (mean age about 46 years, about half women)",
    "10.1176/appi.ajp.2013.13030392",
)

MURROUGH2013B = Reference(
    "murrough2013b",
    "Murrough JW, Perez AM, Pillemer S, et al. Rapid and longer-term antidepressant effects of repeated ketamine "
    "infusions in treatment-resistant major depression. Biol Psychiatry 2013;74:250-256 (DOI not checked here)",
)

NADER2000 = Reference(
    "nader2000",
    "Nader K, Schafe GE, LeDoux JE. Fear memories require protein synthesis in the amygdala for reconsolidation "
    "after retrieval. Nature 2000;406:722-726 (DOI not checked here)",
)

NARDOU2023 = Reference(
    "nardou2023",
    "Nardou R, Sawyer E, Song YJ, et al. Psychedelics reopen the social reward learning critical period. "
    "Nature 2023;618:790-798",
    "10.1038/s41586-023-06204-3",
)

NELSON2017 = Reference(
    "nelson2017",
    "Nelson J, Klumparendt A, Doebler P, Ehring T. Childhood maltreatment and characteristics of adult depression: "
    "meta-analysis. Br J Psychiatry 2017;210:96-104 (childhood maltreatment in 46 % of adults with depression)",
    "10.1192/bjp.bp.115.180752",
)

PCC_MRS2021 = Reference(
    "pcc_mrs2021",
    "Ketamine and posterior cingulate metabolites measured by 3T sLASER 1H-MRS before and 193 +/- 4 min after "
    "ketamine in 12 healthy men: no glutamate change. Front Neurosci 2021 (authors not checked here)",
    "10.3389/fnins.2021.609485",
)

GRUTZENDLER2002 = Reference(
    "grutzendler2002",
    "Grutzendler J, Kasthuri N, Gan WB. Long-term dendritic spine stability in the adult cortex. Nature "
    "2002;420:812-816 (about 96 % of adult cortical spines stable over a month; half-life over 13 months)",
    "10.1038/nature01276",
)

PHOUMTHIPPHAVONG2016 = Reference(
    "phoumthipphavong2016",
    "Phoumthipphavong V, Barthas F, Hassett S, Kwan AC. Longitudinal effects of ketamine on dendritic "
    "architecture in vivo in the mouse medial frontal cortex. eNeuro 2016",
    "10.1523/ENEURO.0133-15.2016",
)

POPOVA2019 = Reference(
    "popova2019",
    "Popova V, Daly EJ, Trivedi M, et al. Efficacy and safety of flexibly dosed esketamine nasal spray combined "
    "with a newly initiated oral antidepressant in treatment-resistant depression: a randomized double-blind "
    "active-controlled study (TRANSFORM-2). Am J Psychiatry 2019;176:428-438 (baseline MADRS about 37; "
    "DOI not checked here)",
)

RIVA_POSSE2018 = Reference(
    "riva_posse2018",
    "Riva-Posse P, Reiff CM, Edwards JA, et al. Blood pressure safety of subanesthetic ketamine for "
    "depression: a report on 684 infusions. J Affect Disord 2018",
    "10.1016/j.jad.2018.02.025",
)

SCHEIDEGGER2012 = Reference(
    "scheidegger2012",
    "Scheidegger M, Walter M, Lehmann M, et al. Ketamine decreases resting state functional network connectivity "
    "in healthy subjects: implications for antidepressant drug action. PLoS One 2012;7:e44799",
    "10.1371/journal.pone.0044799",
)

SHAPIRO_EMDR = Reference(
    "shapiro_emdr",
    "Shapiro F. Eye Movement Desensitization and Reprocessing (EMDR) Therapy: Basic Principles, Protocols, and "
    "Procedures, 3rd ed. Guilford Press 2018 (standard protocol: 60-90 min reprocessing sessions)",
)

SHELINE2010 = Reference(
    "sheline2010",
    "Sheline YI, Price JL, Yan Z, Mintun MA. Resting-state functional MRI in depression unmasks increased "
    "connectivity between networks via the dorsal nexus. Proc Natl Acad Sci USA 2010 (DOI not checked here)",
)

SPITZER2006 = Reference(
    "spitzer2006",
    "Spitzer RL, Kroenke K, Williams JBW, Lowe B (2006). A brief measure for assessing generalized anxiety "
    "disorder: the GAD-7. Arch Intern Med 166:1092-1097",
    "10.1001/archinte.166.10.1092",
)

SPRAVATO_LABEL = Reference(
    "spravato_label",
    "SPRAVATO (esketamine) nasal spray, US prescribing information, Janssen Pharmaceuticals (section 2: "
    "observe for at least 2 hours until the patient is clinically stable and ready to leave)",
)

STOLTENBORGH2015 = Reference(
    "stoltenborgh2015",
    "Stoltenborgh M, Bakermans-Kranenburg MJ, Alink LRA, van IJzendoorn MH. The prevalence of child maltreatment "
    "across the globe: review of a series of meta-analyses. Child Abuse Rev 2015;24:37-50 (emotional neglect 18.4 %)",
    "10.1002/car.2353",
)

SYMPTOMS_JUDGEMENT = Reference(
    "symptoms_judgement",
    "Modelling judgement of the ketasim developers, recorded with its reasoning in docs/symptoms.md",
)

SZARMACH2020 = Reference(
    "szarmach2020",
    "Szarmach J, Cubala WJ, Wlodarczyk A, Galuszko-Wegielnik M. Metabolic risk factors and cardiovascular "
    "safety in ketamine use for treatment resistant depression. Neuropsychiatr Dis Treat 2020;16:2539-2551",
    "10.2147/NDT.S273287",
)

TAYLOR2006 = Reference(
    "taylor2006",
    "Taylor MJ, Freemantle N, Geddes JR, Bhagwagar Z. Early onset of selective serotonin reuptake inhibitor "
    "antidepressant action: systematic review and meta-analysis. Arch Gen Psychiatry 2006;63:1217-1223 "
    "(DOI not checked here)",
)

TOZZI2021 = Reference(
    "tozzi2021",
    "Tozzi L et al. Reduced functional connectivity of default mode network subsystems in depression: "
    "meta-analytic evidence and relationship with trait rumination. NeuroImage Clin 2021;30:102570",
    "10.1016/j.nicl.2021.102570",
)

TRIVEDI2006 = Reference(
    "trivedi2006",
    "Trivedi MH et al. Evaluation of outcomes with citalopram for depression using measurement-based care in "
    "STAR*D. Am J Psychiatry 2006;163:28-40 (mean age 40.7 years, 63.7 % women)",
    "10.1176/appi.ajp.163.1.28",
)

VAN_DE_LEEMPUT2014 = Reference(
    "van_de_leemput2014",
    "van de Leemput IA, Wichers M, Cramer AOJ, et al. Critical slowing down as early warning for the onset and "
    "termination of depression. Proc Natl Acad Sci USA 2014;111(1):87-92 (mood may have alternative stable "
    "states separated by tipping points; DOI not checked here)",
)

WEATHERS2018 = Reference(
    "weathers2018",
    "Weathers FW, Bovin MJ, Lee DJ, et al. The Clinician-Administered PTSD Scale for DSM-5 (CAPS-5): development "
    "and initial psychometric evaluation in military veterans. Psychol Assess 2018;30:383-395 (20 items in four "
    "clusters: intrusion 5, avoidance 2, negative cognitions and mood 7, arousal and reactivity 6; 0-80)",
)

WILKINSON2019 = Reference(
    "wilkinson2019",
    "Wilkinson ST, Farmer C, Ballard ED, et al. Impact of midazolam vs. saline on effect size estimates in "
    "controlled trials of ketamine as a rapid-acting antidepressant. Neuropsychopharmacology 2019;44:1233-1238 "
    "(DOI not checked here)",
)

WILKINSON2021 = Reference(
    "wilkinson2021",
    "Wilkinson ST, Rhee TG, Joormann J, et al. Cognitive behavioral therapy to sustain the antidepressant effects "
    "of ketamine in treatment-resistant depression: a randomized clinical trial. Psychother Psychosom 2021 "
    "(DOI not checked here)",
)

YAN2019 = Reference(
    "yan2019",
    "Yan CG et al. Reduced default mode network functional connectivity in patients with recurrent major "
    "depressive disorder. Proc Natl Acad Sci USA 2019",
    "10.1073/pnas.1900390116",
)

ZANGER2013 = Reference(
    "zanger2013",
    "Zanger UM, Klein K. Pharmacogenetics of cytochrome P450 2B6 (CYP2B6): advances on polymorphisms, mechanisms, "
    "and clinical relevance. Front Genet 2013;4:24 (CYP2B6*6 allele frequency about 15-60 % by ancestry)",
    "10.3389/fgene.2013.00024",
)

ZHENG2019 = Reference(
    "zheng2019",
    "Zheng W et al. Cardiovascular effects of repeated subanaesthetic ketamine infusion in depression "
    "(135 patients, 741 infusions of 0.5 mg/kg over 40 min; largest mean SBP rise 7.4 mmHg at 30-40 min) "
    "(journal and DOI not checked here)",
)

ZIMMERMAN2004 = Reference(
    "zimmerman2004",
    "Zimmerman M et al. (2004). Defining remission on the Montgomery-Asberg depression rating scale. "
    "J Clin Psychiatry 65(2):163-168. PMID 15003068",
)

WHITEFORD2013 = Reference(
    "whiteford2013",
    "Whiteford HA, Harris MG, McKeon G, et al. Estimating remission from untreated major depression: a systematic "
    "review and meta-analysis. Psychol Med 2013;43:1569-1585 (23 % remit within 3 months, 32 % within 6 months, "
    "53 % within 12 months)",
    "10.1017/S0033291712001717",
)
