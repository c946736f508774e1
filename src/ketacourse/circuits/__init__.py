"""Small circuit models, one module per model (import the module you need).

``ei_network``
    An excitatory–inhibitory population (firing-rate) model with AMPA, NMDA and GABA_A
    synaptic filters; ketamine lowers NMDA drive onto pyramidal cells and onto interneurons
    separately, and the power spectrum of the network's activity is computed exactly from the
    linearised system (Chapter 5).

Other chapters add their own modules here (for example a dorsal-horn wind-up neuron). This
package imports nothing itself, so each model loads only when used.
"""
