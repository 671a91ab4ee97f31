using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Strider.Generator.Model;

namespace Strider.Generator.Emit;

/// <summary>
/// The members a network's generated class declares, read from the emitted code itself, so that the STR0020 check of the
/// user's members can never drift from what the emitter writes (per-layer names such as <c>_conv1Out</c> and
/// <c>Conv1Geometry</c> included).
/// </summary>
internal static class GeneratedMembers
{
    /// <summary>
    /// The generated class's member names, each with the signatures (see <see cref="Signature"/>) of its public methods.
    /// An empty list means the name alone collides: a field, property, event or nested type, or a private helper method,
    /// which a user overload could make ambiguous at the generated call sites.
    /// </summary>
    public static Dictionary<string, List<string>> Of(NetworkOutput output)
    {
        string text = output.Plan is { } plan ? NetworkEmitter.Emit(plan) : InvalidNetworkEmitter.Emit(output.Invalid!);
        var root = CSharpSyntaxTree.ParseText(text).GetRoot();
        int depth = output.Plan?.Containers.Count ?? output.Invalid!.Containers.Count;
        var members = new Dictionary<string, List<string>>(System.StringComparer.Ordinal);
        // What the class inherits from NetworkBase collides as much as what it declares: a user member of the same name hides it.
        if (output.Plan is { HasUserBase: false })
            foreach (var name in NetworkBaseMembers) members[name] = new List<string>();
        foreach (var type in root.DescendantNodes().OfType<ClassDeclarationSyntax>())
        {
            // The network class itself, not a nested helper type or a containing type of the same name.
            if (type.Identifier.ValueText != output.ClassName || type.Ancestors().OfType<TypeDeclarationSyntax>().Count() != depth) continue;
            foreach (var member in type.Members)
                foreach (var (name, signature) in Declared(member))
                {
                    if (!members.TryGetValue(name, out var signatures)) members[name] = signatures = new List<string>();
                    if (signature is not null) signatures.Add(signature);
                }
        }
        return members;
    }

    /// <summary>
    /// The members of the runtime's Strider.NetworkBase a derived class can see (by name: none of them may be redeclared).
    /// The generator cannot load the runtime, so a test compares this list with the class itself.
    /// </summary>
    public static readonly IReadOnlyList<string> NetworkBaseMembers = new[]
    {
        "_device", "_calls", "_memory", "SetParameters", "Device", "Parameters", "Buffers", "Training", "ZeroGrad", "Save", "Load",
        "ThrowIfDisposed", "Dispose", "DisposeBuffers",
    };

    /// <summary>
    /// A method's identity for overloading (CS0111): its type parameter count and its parameter types, fully qualified,
    /// with ref, out and in alike (C# cannot overload on which of them).
    /// </summary>
    public static string Signature(int arity, IEnumerable<(bool ByReference, string Type)> parameters) =>
        arity.ToString(System.Globalization.CultureInfo.InvariantCulture) + "(" + string.Join(",", parameters.Select(p => (p.ByReference ? "ref " : "") + p.Type)) + ")";

    private static IEnumerable<(string Name, string? Signature)> Declared(MemberDeclarationSyntax member)
    {
        switch (member)
        {
            case MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null } method when !method.Modifiers.Any(SyntaxKind.PublicKeyword):
                yield return (method.Identifier.ValueText, null);
                break;
            case MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null } method:
                yield return (method.Identifier.ValueText, Signature(method.TypeParameterList?.Parameters.Count ?? 0,
                    method.ParameterList.Parameters.Select(p => (p.Modifiers.Any(m => m.Kind() is SyntaxKind.RefKeyword or SyntaxKind.OutKeyword or SyntaxKind.InKeyword),
                        p.Type?.ToString() ?? ""))));
                break;
            case BaseFieldDeclarationSyntax field:
                foreach (var variable in field.Declaration.Variables) yield return (variable.Identifier.ValueText, null);
                break;
            case PropertyDeclarationSyntax { ExplicitInterfaceSpecifier: null } property:
                yield return (property.Identifier.ValueText, null);
                break;
            case EventDeclarationSyntax { ExplicitInterfaceSpecifier: null } @event:
                yield return (@event.Identifier.ValueText, null);
                break;
            case BaseTypeDeclarationSyntax nested:
                yield return (nested.Identifier.ValueText, null);
                break;
            case DelegateDeclarationSyntax @delegate:
                yield return (@delegate.Identifier.ValueText, null);
                break;
        }
    }
}
