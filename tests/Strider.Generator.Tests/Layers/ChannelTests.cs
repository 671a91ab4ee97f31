using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Layers;

/// <summary>ChannelPad, ChannelSlice and ChannelShuffle: argument errors on their spans, naming the layer and sizes.</summary>
public class ChannelTests
{
    private const string Usings = "using Strider;\n";

    private static string Message(string source, string id) =>
        GeneratorHarness.Build(Usings + source).Generator.Single(d => d.Id == id).GetMessage();

    [Fact]
    public Task A_slice_starting_outside_the_channels_is_STR0008_on_start() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(4, 8, 8)]
        [ChannelSlice({|STR0008:4|}, 1)]
        public partial class Net;
        """);

    [Fact]
    public Task A_slice_running_past_the_channels_is_STR0008_on_count() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(4, 8, 8)]
        [ChannelSlice(2, {|STR0008:3|})]
        public partial class Net;
        """);

    [Fact]
    public void The_slice_message_gives_the_counts_that_fit() =>
        Assert.Contains("count 3 from start 2 reaches channel 4, but the input has 4 channels: the count must be in 1..2",
            Message("[Network, Input(4, 8, 8), ChannelSlice(2, 3)] public partial class Net;", "STR0008"));

    [Fact]
    public Task Groups_that_do_not_divide_the_channels_are_STR0008_on_groups() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(6, 8, 8)]
        [ChannelShuffle({|STR0008:4|})]
        public partial class Net;
        """);

    [Fact]
    public void The_shuffle_message_lists_the_divisors() =>
        Assert.Contains("4 groups do not divide the input's 6 channels; use one of 1, 2, 3, 6",
            Message("[Network, Input(6, 8, 8), ChannelShuffle(4)] public partial class Net;", "STR0008"));

    [Fact]
    public Task A_negative_channel_pad_is_STR0008_on_that_amount() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(4, 8, 8)]
        [ChannelPad(1, {|STR0008:-1|})]
        public partial class Net;
        """);

    [Fact]
    public Task A_resnet_option_A_shortcut_is_clean() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(4, 9, 9)]
        [Conv(8, 3, Stride = 2, Pad = 1, Name = "main"), MaxPool(1, Stride = 2, From = "input"), ChannelPad(2, 2), Add("main", "channelpad1")]
        public partial class Net;
        """);
}
