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
