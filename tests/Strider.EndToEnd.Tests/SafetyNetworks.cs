namespace Strider.EndToEnd.Tests;

/// <summary>Input and output of one shape (a padded conv): the network can be fed its own output and its own input gradient.</summary>
[Network, Input(2, 5, 5)]
[Conv(2, 3, Pad = 1)]
public partial class SameShape;

/// <summary>A wide dense layer: 4 MiB of activations per item, so a batch of a million needs terabytes.</summary>
[Network, Input(4)]
[Dense(1048576)]
public partial class Widening;
