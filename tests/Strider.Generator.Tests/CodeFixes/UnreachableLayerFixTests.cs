using Strider.CodeFixes;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.CodeFixes;

/// <summary>
/// The fixes for a layer that reaches no output (STR0023): remove its attribute, or add it to [Output].
/// </summary>
public class UnreachableLayerFixTests
{
    private const string Usings = "using Strider;\n";

    private static Task Verify(string markup, string fixedCode, string key, int iterations = 1, string? batchFixedCode = null) =>
        CodeFixVerifier.VerifyAsync<UnreachableLayerCodeFixProvider>(markup, fixedCode, key, iterations, batchFixedCode);

    private static async Task<string[]> Titles(string source) =>
        (await CodeFixVerifier.OfferedAsync(source, new UnreachableLayerCodeFixProvider())).Select(a => a.Title).ToArray();

    [Fact]
    public Task Remove_takes_the_whole_list_and_its_line_when_the_layer_is_alone_in_it() => Verify(Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, Name = "a")]
        [{|STR0023:Conv(4, 3, Name = "side")|}]
        [Conv(4, 1, From = "a")]
        public partial class Net;
        """, Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, Name = "a")]
        [Conv(4, 1, From = "a")]
        public partial class Net;
        """, UnreachableLayerCodeFixProvider.RemoveKey);

    [Fact]
    public Task Remove_takes_the_attribute_and_the_comma_before_it() => Verify(Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, Name = "a"), {|STR0023:Conv(4, 3, Name = "side")|}, Conv(4, 1, From = "a")]
        public partial class Net;
        """, Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, Name = "a"), Conv(4, 1, From = "a")]
        public partial class Net;
        """, UnreachableLayerCodeFixProvider.RemoveKey);

    [Fact]
    public Task Remove_of_the_first_attribute_takes_the_comma_after_it() => Verify(Usings + """
        [Network, Input(1, 8, 8)]
        [{|STR0023:Relu(Name = "side")|}, Conv(4, 3, From = "input")]
        public partial class Net;
        """, Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, From = "input")]
        public partial class Net;
        """, UnreachableLayerCodeFixProvider.RemoveKey);

    [Fact]
    public Task Remove_a_dead_chain_one_by_one_or_all_at_once() => Verify(Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, Name = "a"), {|STR0023:Conv(4, 3)|}, {|STR0023:Relu|}, Conv(4, 1, From = "a")]
        public partial class Net;
        """, Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, Name = "a"), Conv(4, 1, From = "a")]
        public partial class Net;
        """, UnreachableLayerCodeFixProvider.RemoveKey, iterations: 2);

    [Fact]
    public async Task Remove_is_not_offered_when_a_later_generated_name_that_is_referenced_would_shift()
    {
        // Removing conv2 would make the last Conv 'conv2', and the Relu's From = "conv3" would name nothing (STR0005).
        string source = Usings + """
            [Network, Input(1, 8, 8)]
            [Conv(4, 3, Name = "a"), Conv(4, 3), Conv(4, 1, From = "a"), Relu(From = "conv3")]
            public partial class Net;
            """;
        Assert.Equal(["Add 'conv2' to [Output]"], await Titles(source));
    }

    [Fact]
    public async Task Both_fixes_are_offered_by_name()
    {
        string source = Usings + """
            [Network, Input(1, 8, 8)]
            [Conv(4, 3, Name = "a"), Conv(4, 3, Name = "side"), Conv(4, 1, From = "a")]
            public partial class Net;
            """;
        Assert.Equal(["Remove 'side'", "Add 'side' to [Output]"], await Titles(source));
    }

    [Fact]
    public Task Add_appends_the_name_to_Output() => Verify(Usings + """
        [Network, Input(3, 8, 8)]
        [Conv(4, 3, Name = "trunk"), Relu(Name = "act")]
        [Conv(2, 1, Name = "cls")]
        [{|STR0023:Conv(4, 1, From = "act", Name = "box")|}]
        [Output("cls")]
        public partial class Net;
        """, Usings + """
        [Network, Input(3, 8, 8)]
        [Conv(4, 3, Name = "trunk"), Relu(Name = "act")]
        [Conv(2, 1, Name = "cls")]
        [Conv(4, 1, From = "act", Name = "box")]
        [Output("cls", "box")]
        public partial class Net;
        """, UnreachableLayerCodeFixProvider.AddToOutputKey);

    [Fact]
    public Task Add_without_Output_declares_one_with_the_last_layer_first() => Verify(Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, Name = "a"), {|STR0023:Conv(4, 3, Name = "side")|}, Conv(4, 1, From = "a")]
        public partial class Net;
        """, Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, Name = "a"), Conv(4, 3, Name = "side"), Conv(4, 1, From = "a")]
        [Output("conv3", "side")]
        public partial class Net;
        """, UnreachableLayerCodeFixProvider.AddToOutputKey);

    [Fact]
    public Task Add_all_on_a_dead_chain_adds_only_its_end() => Verify(Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, Name = "a"), {|STR0023:Conv(4, 3)|}, {|STR0023:Relu|}, Conv(4, 1, From = "a")]
        public partial class Net;
        """, Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, Name = "a"), Conv(4, 3), Relu, Conv(4, 1, From = "a")]
        [Output("conv3", "conv2", "relu1")]
        public partial class Net;
        """, UnreachableLayerCodeFixProvider.AddToOutputKey, iterations: 2, batchFixedCode: Usings + """
        [Network, Input(1, 8, 8)]
        [Conv(4, 3, Name = "a"), Conv(4, 3), Relu, Conv(4, 1, From = "a")]
        [Output("conv3", "relu1")]
        public partial class Net;
        """);

    [Fact]
    public async Task Add_is_not_offered_when_the_name_would_be_the_property_of_another_output()
    {
        string source = Usings + """
            [Network, Input(3, 8, 8)]
            [Conv(4, 3, Name = "trunk"), Conv(2, 1, Name = "cls"), Conv(2, 1, From = "trunk", Name = "Cls")]
            [Output("cls")]
            public partial class Net;
            """;
        Assert.Equal(["Remove 'Cls'"], await Titles(source));
    }
}
