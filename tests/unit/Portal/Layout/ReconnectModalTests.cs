using System.Text.Json;
using System.Text.RegularExpressions;
using Bunit;
using Wharf.Portal.Components.Layout;
using Xunit;

namespace Wharf.Tests.Unit.Portal.Layout;

/// <summary>
/// The reconnect dialog has no logic in C#: it is markup that the SDK's <c>blazor.web.js</c> finds by its id and
/// reports the connection's state to (the <c>components-reconnect-state-changed</c> event), that <c>js/reconnect.js</c>
/// turns into a <c>state-*</c> class, and that <c>css/wharf.css</c> turns into the one message shown. These tests hold
/// the four together: the files are the ones Wharf serves (found through the static web assets manifest, the SDK's
/// <c>blazor.web.js</c> included), so a new SDK that renames the dialog, the countdown or a state fails here.
/// </summary>
public sealed partial class ReconnectModalTests : IAsyncLifetime
{
    private readonly BunitContext _context = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _context.DisposeAsync();

    private IRenderedComponent<ReconnectModal> Render() => _context.Render<ReconnectModal>();

    /// <summary>What each state class shows, as css/wharf.css says: <c>.reconnect.state-X .Y { display: block }</c>.</summary>
    private static Dictionary<string, string> ShownPerState()
    {
        var css = StaticAsset("css/wharf.css");
        Assert.Matches(@"\.reconnect p, \.reconnect button \{ display: none; \}", css);
        var rule = ShowRule().Match(css);
        Assert.True(rule.Success, "css/wharf.css has no rule showing the reconnect dialog's messages");
        return StateSelector().Matches(rule.Groups["selectors"].Value).ToDictionary(m => m.Groups["state"].Value, m => m.Groups["element"].Value);
    }

    [Fact]
    public void The_dialog_has_the_id_and_countdown_the_SDK_looks_for_and_loads_its_script()
    {
        var cut = Render();
        var dialog = cut.Find("dialog");
        Assert.Equal("components-reconnect-modal", dialog.Id);
        Assert.Contains("reconnect", dialog.ClassList);
        Assert.Equal("assertive", dialog.GetAttribute("aria-live"));
        Assert.True(dialog.HasAttribute("data-nosnippet"));
        // The SDK writes the seconds until its next attempt into this element, inside the "trying again" message.
        Assert.NotNull(cut.Find(".reconnect-repeated").QuerySelector("#components-seconds-to-next-attempt"));
        Assert.EndsWith("js/reconnect.js", cut.Find("script").GetAttribute("src"));
    }

    [Fact]
    public void Each_state_shows_one_message_in_plain_words()
    {
        var shown = ShownPerState();
        Assert.Equal(["failed", "paused", "retrying", "show"], shown.Keys.Order());
        var cut = Render();
        string Text(string state) => string.Join(" ", cut.FindAll("p." + shown[state]).Select(p => p.TextContent.Trim()));

        Assert.Equal("Connection to Wharf lost. Reconnecting…", Text("show"));
        Assert.Equal("Wharf is not answering. Trying again in  s…", Text("retrying"));
        Assert.Equal("Could not reconnect. Wharf may be restarting: this page reloads by itself when it answers again.", Text("failed"));
        Assert.Equal("The server paused this session.", Text("paused"));
        // Failed offers a retry, paused a resume; the other states have no button.
        Assert.Equal(["components-reconnect-button"], cut.FindAll("button." + shown["failed"]).Select(b => b.Id));
        Assert.Equal(["components-resume-button"], cut.FindAll("button." + shown["paused"]).Select(b => b.Id));
        Assert.Empty(cut.FindAll("button." + shown["show"]));
        Assert.Empty(cut.FindAll("button." + shown["retrying"]));
        // Every message and button belongs to exactly one state, so two are never shown at once.
        foreach (var element in cut.FindAll("dialog p, dialog button"))
            Assert.Single(element.ClassList, c => shown.ContainsValue(c));
    }

    [Fact]
    public void The_script_handles_every_state_the_SDK_reports_and_finds_what_it_needs_in_the_dialog()
    {
        var sdk = StaticAsset("_framework/blazor.web.js");
        var script = StaticAsset("js/reconnect.js");

        // blazor.web.js uses a dialog of this id when the page has one, and tells it what happens through this event.
        Assert.Contains("dialogId:\"components-reconnect-modal\"", sdk);
        Assert.Contains("\"components-reconnect-state-changed\"", sdk);
        Assert.Contains("\"components-seconds-to-next-attempt\"", sdk);
        Assert.Contains("getElementById(\"components-reconnect-modal\")", script);
        Assert.Contains("addEventListener(\"components-reconnect-state-changed\"", script);

        var reported = SdkState().Matches(sdk).Select(m => m.Groups[1].Value).ToHashSet();
        var handled = ScriptState().Matches(script).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Equal(["failed", "hide", "paused", "rejected", "resume-failed", "retrying", "show"], reported.Order());
        Assert.Equal(reported.Order(), handled.Order());

        // Every state class the script sets shows a message; "rejected" and "resume-failed" reload instead.
        var set = SetState().Matches(script).SelectMany(m => Quoted().Matches(m.Groups[1].Value)).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Equal(ShownPerState().Keys.Order(), set.Order());

        // The elements the script looks up are in the dialog, and the SDK functions it calls exist.
        var cut = Render();
        foreach (Match id in ElementId().Matches(script)) Assert.Single(cut.FindAll("#" + id.Groups[1].Value));
        Assert.Contains(".reconnect=", sdk);
        Assert.Contains(".resumeCircuit=", sdk);
        Assert.Contains("Blazor.reconnect()", script);
        Assert.Contains("Blazor.resumeCircuit()", script);
    }

    /// <summary>A file as Wharf serves it, found through the static web assets manifest next to the tests.</summary>
    private static string StaticAsset(string path)
    {
        var manifest = Path.Combine(AppContext.BaseDirectory, "wharf.staticwebassets.runtime.json");
        Assert.True(File.Exists(manifest), $"{manifest} is missing: the portal's static web assets manifest is built with the portal");
        using var json = JsonDocument.Parse(File.ReadAllText(manifest));
        var node = json.RootElement.GetProperty("Root");
        foreach (var segment in path.Split('/'))
        {
            Assert.True(node.TryGetProperty("Children", out var children) && children.ValueKind == JsonValueKind.Object && children.TryGetProperty(segment, out node),
                $"{path} is not among the portal's static web assets");
        }
        var asset = node.GetProperty("Asset");
        var root = json.RootElement.GetProperty("ContentRoots")[asset.GetProperty("ContentRootIndex").GetInt32()].GetString()!;
        return File.ReadAllText(Path.Combine(root, asset.GetProperty("SubPath").GetString()!));
    }

    [GeneratedRegex(@"(?<selectors>(?:\.reconnect\.state-[\w-]+ \.[\w-]+,?\s*)+)\{ display: block; \}")]
    private static partial Regex ShowRule();

    [GeneratedRegex(@"\.reconnect\.state-(?<state>[\w-]+) \.(?<element>[\w-]+)")]
    private static partial Regex StateSelector();

    [GeneratedRegex(@"state:""([a-z-]+)""")]
    private static partial Regex SdkState();

    [GeneratedRegex(@"state === ""([a-z-]+)""")]
    private static partial Regex ScriptState();

    // setState("failed"), and setState(a ? "retrying" : "show").
    [GeneratedRegex(@"setState\(([^)]*)\)")]
    private static partial Regex SetState();

    [GeneratedRegex(@"""([a-z-]+)""")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"getElementById\(""([\w-]+)""\)")]
    private static partial Regex ElementId();
}
