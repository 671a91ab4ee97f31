using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Analyzer;

/// <summary>The analyzer's checks on MaxUnpool against its pool, on tied weights, and on Reshape versus Permute: each mistake and its correct form.</summary>
public class UnpoolTieLayoutDiagnosticTests
{
    private const string Usings = "using Strider;\n";

    /// <summary>Once per axis: H and W both shrink from 4 to 2.</summary>
    [Fact]
    public Task STR0016_unpool_whose_input_is_smaller_than_its_pools_output() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 8, 8)]
        [MaxPool(2, KeepSwitches = true, Name = "pool1"), Conv(1, 3), {|STR0016:{|STR0016:MaxUnpool(Switches = "pool1")|}|}]
        public partial class Net;
        """);

    [Fact]
    public Task STR0016_unpool_whose_input_has_other_channels_than_its_pool() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 8, 8)]
        [MaxPool(2, KeepSwitches = true, Name = "pool1"), Conv(4, 3, Pad = 1), {|STR0016:MaxUnpool(Switches = "pool1")|}]
        public partial class Net;
        """);

    [Fact]
    public Task STR0016_unpool_reading_switches_of_an_average_pool() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 8, 8)]
        [AvgPool(2, Name = "pool1"), MaxUnpool({|STR0016:Switches = "pool1"|})]
        public partial class Net;
        """);

    [Fact]
    public Task Unpool_after_a_size_keeping_conv_is_clean() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 8, 8)]
        [MaxPool(2, KeepSwitches = true, Name = "pool1"), Conv(1, 3, Pad = 1), MaxUnpool(Switches = "pool1")]
        public partial class Net;
        """);

    [Fact]
    public Task STR0004_tied_weights_with_another_kernel() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 12, 12)]
        [Conv(8, 3, Name = "c1"), Relu]
        [Deconv(1, 5, {|STR0004:TiedTo = "c1"|})]
        public partial class Net;
        """);

    [Fact]
    public Task STR0004_tied_weights_reading_other_channels_than_the_conv_makes() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 12, 12)]
        [Conv(8, 3, Name = "c1"), Conv(4, 1)]
        [Deconv(1, 3, {|STR0004:TiedTo = "c1"|})]
        public partial class Net;
        """);

    [Fact]
    public Task STR0004_tied_to_a_layer_without_weights() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 12, 12)]
        [Conv(8, 3), Relu(Name = "r")]
        [Deconv(1, 3, {|STR0004:TiedTo = "r"|})]
        public partial class Net;
        """);

    [Fact]
    public Task A_tie_that_undoes_its_conv_is_clean() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 13, 13)]
        [Conv(8, 3, Stride = 2, Name = "c1"), Relu]
        [Deconv(1, 3, Stride = 2, TiedTo = "c1")]
        public partial class Net;
        """);

    [Fact]
    public Task STR0010_reshape_swapping_time_and_features_and_the_permute_it_suggests_is_clean() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(16, 100)]
        [{|STR0010:Reshape(100, 16)|}]
        public partial class Warned;

        [Network, Input(16, 100)]
        [Permute(1, 0)]
        public partial class Clean;
        """);
}
