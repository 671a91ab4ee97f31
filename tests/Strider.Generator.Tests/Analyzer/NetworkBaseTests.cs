using System.Reflection;
using Microsoft.CodeAnalysis;
using Strider.Generator.Emit;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Analyzer;

/// <summary>
/// Generated networks derive from the runtime's NetworkBase (device, parameter lists, call guard, Training, ZeroGrad,
/// Save/Load, Dispose); a class with a base class of its own gets those members written out instead.
/// </summary>
public class NetworkBaseTests
{
    private const string Usings = "using Strider;\n";

    private static string GeneratedText(Compilation output, string className) =>
        Assert.Single(output.SyntaxTrees, t => t.FilePath.EndsWith("App." + className + ".g.cs", StringComparison.Ordinal)).ToString();

    [Fact]
    public void The_generator_knows_every_member_a_network_inherits_from_NetworkBase()
    {
        // STR0020 compares the user's members with this list: a member added to NetworkBase but not here would go unchecked.
        var visible = typeof(NetworkBase).GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m switch
            {
                MethodInfo method => !method.IsSpecialName && (method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly),
                FieldInfo field => field.IsPublic || field.IsFamily || field.IsFamilyOrAssembly,
                PropertyInfo property => property.GetMethod is { } get && (get.IsPublic || get.IsFamily),
                _ => false,
            })
            .Select(m => m.Name).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(visible, GeneratedMembers.NetworkBaseMembers.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_network_derives_from_NetworkBase_and_keeps_its_public_surface()
    {
        var (output, generator, compiler, _) = GeneratorHarness.Build(Usings + """
            namespace App;

            [Network, Input(1, 8, 8), Conv(2, 3), BatchNorm, Relu, Dropout(0.5)]
            public partial class Net;

            public static class Use
            {
                public static long Run(Tensor<S1x8x8> x)
                {
                    using var net = new Net(Strider.Devices.Device.Default, seed: 3);
                    INetwork<S1x8x8, S2x6x6> typed = net;
                    net.Training = false;
                    net.ZeroGrad();
                    net.Save("net.safetensors");
                    net.Load("net.safetensors");
                    net.DropoutStep = 0;
                    return typed.Forward(x).Length + net.Parameters.Count + net.Buffers.Count + (net.Device is null ? 0 : 1);
                }
            }
            """);
        Assert.Empty(generator);
        Assert.Empty(compiler);
        string text = GeneratedText(output, "Net");
        Assert.Contains("public partial class Net : global::Strider.NetworkBase, global::Strider.INetwork<", text, StringComparison.Ordinal);
        Assert.DoesNotContain("public void Dispose()", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_network_with_a_base_class_of_its_own_gets_the_shared_members_written_out()
    {
        var (output, generator, compiler, _) = GeneratorHarness.Build(Usings + """
            namespace App;

            public class Base { protected Base() { } public int Extra => 1; }

            [Network, Input(1, 8, 8), Relu]
            public partial class Net : Base;

            public static class Use
            {
                public static long Run(Tensor<S1x8x8> x)
                {
                    using var net = new Net();
                    INetwork<S1x8x8, S1x8x8> typed = net;
                    net.Training = false;
                    net.ZeroGrad();
                    net.Save("net.safetensors");
                    return typed.Forward(x).Length + net.Parameters.Count + net.Extra;
                }
            }
            """);
        Assert.Empty(generator);
        Assert.Empty(compiler);
        string text = GeneratedText(output, "Net");
        Assert.DoesNotContain("NetworkBase", text, StringComparison.Ordinal);
        Assert.Contains("public void Dispose()", text, StringComparison.Ordinal);
        Assert.Contains("private readonly global::Strider.NetworkCallGuard _calls", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("private int _calls;", "_calls")]
    [InlineData("private object? _memory;", "_memory")]
    [InlineData("private void SetParameters() { }", "SetParameters")]
    [InlineData("protected void DisposeBuffers(int x) { }", "DisposeBuffers")]
    [InlineData("public int Training;", "Training")]
    public void A_user_member_named_like_an_inherited_one_is_STR0020(string member, string name)
    {
        var (_, generator, _, _) = GeneratorHarness.Build(Usings + "namespace App;\n[Network, Input(1, 8, 8), Relu]\npublic partial class Net { " + member + " }");
        var error = Assert.Single(generator);
        Assert.Equal("STR0020", error.Id);
        Assert.Equal(name, error.Location.SourceTree!.GetText().ToString(error.Location.SourceSpan));
    }
}
