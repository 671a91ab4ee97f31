using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Analyzer;

/// <summary>One test (at least) per diagnostic, each located on the argument that causes it.</summary>
public class DiagnosticTests
{
    private const string Usings = "using Strider;\n";

    [Fact]
    public Task STR0001_input_size_that_leaves_pixels_unread() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, {|STR0001:30|}), Conv(4, 5, Stride = 2)]
        public partial class Net;
        """);

    [Fact]
    public Task STR0002_the_unet_at_1570_fails_on_the_input_with_the_merge_named() => AnalyzerVerifier.VerifyAsync(
        Networks.Ddae("{|STR0001:{|STR0002:1570|}|}"));

    [Fact]
    public Task The_unet_at_1565_is_clean() => AnalyzerVerifier.VerifyAsync(Networks.Ddae("1565"));

    [Fact]
    public Task STR0003_add_of_unequal_channels() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, 8, 8)]
        [Conv(4, 1, Name = "a"), Conv(5, 1, Name = "b", From = "input")]
        [{|STR0003:Add("a", "b")|}]
        public partial class Net;
        """);

    [Fact]
    public Task STR0004_tied_weights_with_the_wrong_channels() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 12, 12)]
        [Conv(8, 3, Name = "c1"), Relu]
        [Deconv(2, 3, {|STR0004:TiedTo = "c1"|})]
        public partial class Net;
        """);

    [Fact]
    public Task STR0005_unknown_from() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 12, 12)]
        [Conv(8, 3), Relu({|STR0005:From = "nothere"|})]
        public partial class Net;
        """);

    [Fact]
    public Task STR0006_reading_a_later_layer_is_a_cycle() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 12, 12)]
        [Conv(8, 3, {|STR0006:From = "later"|}), Relu(Name = "later")]
        public partial class Net;
        """);

    [Fact]
    public Task STR0007_a_layer_that_shrinks_below_one() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 4, 4)]
        [{|STR0007:Conv(2, 5)|}]
        public partial class Net;
        """);

    [Fact]
    public Task STR0008_nonsense_arguments() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 12, 12)]
        [Conv({|STR0008:0|}, 3, {|STR0008:Stride = -1|})]
        public partial class Net;
        """);

    [Fact]
    public Task STR0009_dense_after_a_spatial_layer() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3), {|STR0009:Dense(10)|}]
        public partial class Net;
        """);

    [Fact]
    public Task STR0010_reshape_that_swaps_axes() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(16, 100)]
        [{|STR0010:Reshape(100, 16)|}]
        public partial class Net;
        """);

    [Fact]
    public Task STR0011_no_valid_size_on_a_free_axis() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, {|STR0011:Dim.Any|})]
        [Conv(4, 3, Name = "a"), Conv(4, 5, From = "input", Name = "b"), Add("a", "b")]
        public partial class Net;
        """);

    [Fact]
    public Task STR0012_flatten_of_a_free_size() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, {|STR0017:Dim.Any|})]
        [Conv(4, 3), {|STR0012:Flatten|}]
        public partial class Net;
        """);

    [Fact]
    public Task STR0013_a_network_class_must_be_partial() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 8, 8), Conv(4, 3)]
        public class {|STR0013:Net|} { }
        """);

    [Fact]
    public Task STR0014_missing_input() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Conv(4, 3)]
        public partial class {|STR0014:Net|};
        """);

    [Fact]
    public Task STR0015_duplicate_names() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, Name = "a"), Relu({|STR0015:Name = "a"|})]
        public partial class Net;
        """);

    [Fact]
    public Task STR0016_unpool_needs_a_pool_that_keeps_switches() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 8, 8)]
        [MaxPool(2, Name = "pool1"), Conv(1, 1), MaxUnpool({|STR0016:Switches = "pool1"|})]
        public partial class Net;
        """);

    [Fact]
    public Task STR0017_states_the_valid_sizes_of_a_free_axis() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, {|STR0017:Dim.Any|}, {|STR0017:Dim.Any|})]
        [Conv(8, 5, Stride = 2), Conv(8, 5, Stride = 2)]
        public partial class Net;
        """);

    [Fact]
    public Task STR0018_a_window_over_flat_features() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(10)]
        [{|STR0018:Conv(4, 3)|}]
        public partial class Net;
        """);

    [Fact]
    public Task STR0019_flatten_and_dense_have_no_dense_variant() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network(Dense = true), Input(1, 28, 28)]
        [Conv(20, 5), MaxPool(2)]
        [{|STR0019:Flatten|}, {|STR0019:Dense(10)|}]
        public partial class Net;
        """);

    [Fact]
    public Task STR0019_padding_and_an_upsampling_deconv_are_located_on_their_arguments() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network(Dense = true), Input(1, 16, 16)]
        [Conv(4, 3, {|STR0019:Padding = Padding.Same|}), MaxPool(2)]
        [Deconv(2, 2, {|STR0019:Stride = 2|})]
        public partial class Net;
        """);

    [Fact]
    public Task STR0019_an_input_without_spatial_axes_has_nothing_to_slide_over() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network({|STR0019:Dense = true|}), Input(10), Dense(4)]
        public partial class Net;
        """);

    [Fact]
    public Task A_fully_convolutional_net_with_valid_windows_has_a_dense_variant() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network(Dense = true), Input(1, {|STR0017:Dim.Any|}, {|STR0017:Dim.Any|})]
        [Conv(20, 5), MaxPool(2), Conv(50, 5), MaxPool(2), Conv(500, 4), Relu, Conv(10, 1), Softmax]
        public partial class Net;
        """);
}
