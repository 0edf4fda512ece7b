"""The science: pharmacokinetics, receptors, cascade, network, symptoms, acute effects, comparators."""
