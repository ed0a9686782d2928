using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Wharf.Portal.Audit;
using Wharf.Portal.Components.Pages;
using Wharf.Portal.Components.Shared;
using Wharf.Registry.Browse;
using Wharf.Registry.Cluster;
using Wharf.Registry.Gc;
using Xunit;

namespace Wharf.Tests.Unit.Portal;

/// <summary>The portal's shared components and page logic, rendered with bUnit over MudBlazor.</summary>
public sealed class PortalComponentTests : IAsyncLifetime
{
    private readonly BunitContext _context = new();

    public PortalComponentTests()
    {
        _context.Services.AddMudServices();
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.AddAuthorization().SetAuthorized("viewer");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's services are only asynchronously disposable.
    public async Task DisposeAsync() => await _context.DisposeAsync();

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(512L, "512 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1024L, "1.0 KiB")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(20L * 1024 * 1024, "20.0 MiB")]
    [InlineData(3_435_973_837L, "3.2 GiB")]
    public void Sizes_are_formatted_in_binary_units(long bytes, string expected) => Assert.Equal(expected, Bytes.Format(bytes));

    [Fact]
    public void Bytes_shows_the_exact_count_on_hover()
    {
        var cut = _context.Render<Bytes>(p => p.Add(x => x.Value, 1536L));
        cut.MarkupMatches("<span title=\"1,536 bytes\">1.5 KiB</span>");
    }

    [Fact]
    public void A_digest_is_shortened_and_kept_whole_in_its_title()
    {
        const string digest = "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
        var cut = _context.Render<DigestText>(p => p.Add(x => x.Value, digest));
        cut.MarkupMatches($"<code class=\"digest\" title=\"{digest}\">sha256:b94d27b9934d</code>");
    }

    [Fact]
    public void The_layer_table_pairs_history_with_layers_and_totals_them()
    {
        LayerInfo[] layers =
        [
            new("sha256:" + new string('a', 64), "application/vnd.oci.image.layer.v1.tar+gzip", 2048),
            new("sha256:" + new string('b', 64), "application/vnd.oci.image.layer.v1.tar+gzip", 1024 * 1024),
        ];
        var steps = BuildSteps.Pair([new(null, "ADD rootfs /", false), new(null, "ENV A=1", true), new(null, "RUN make", false)], layers);
        var cut = _context.Render<LayerTable>(p => p.Add(x => x.Steps, steps).Add(x => x.Layers, layers));
        Assert.Equal(2, cut.FindAll("a.layer-link").Count);
        Assert.Single(cut.FindAll("tr.empty-step"));
        Assert.Contains("href=\"blob?digest=sha256%3A" + new string('a', 64), cut.Markup);
        Assert.Contains("ENV A=1", cut.Find("tr.empty-step").TextContent);
        Assert.Contains("2 layers", cut.Find("#layers-total").TextContent);
        Assert.Contains("1.0 MiB", cut.Find("#layers-total").TextContent);
    }

    [Fact]
    public void The_sharing_view_names_each_repository_it_shares_with()
    {
        var sharing = new RepositorySharing("team/web", 3, 9000, 4000, 5000, [new SharedWith("team/api", 1, 5000)]);
        var cut = _context.Render<SharingView>(p => p.Add(x => x.Sharing, sharing));
        Assert.Contains("team/api", cut.Find("#shared-with").TextContent);
        Assert.Contains("href=\"sharing?repository=team%2Fapi", cut.Markup);
        Assert.Contains("3.9 KiB", cut.Find("#sharing-summary").TextContent);
        Assert.Empty(cut.FindAll("#shares-nothing"));
    }

    [Fact]
    public void A_repository_sharing_nothing_says_so()
    {
        var cut = _context.Render<SharingView>(p => p.Add(x => x.Sharing, new RepositorySharing("team/web", 1, 10, 10, 0, [])));
        Assert.Contains("shares no layers", cut.Find("#shares-nothing").TextContent);
    }

    [Fact]
    public void The_copy_button_copies_its_text_through_the_browser()
    {
        var copy = _context.JSInterop.Setup<bool>("wharf.copy", "docker pull host/team/web:1.0").SetResult(true);
        var cut = _context.Render<CopyButton>(p => p.Add(x => x.Text, "docker pull host/team/web:1.0"));
        Assert.Contains("docker pull host/team/web:1.0", cut.Find("code").TextContent);
        cut.Find("button").Click();
        Assert.Single(copy.Invocations);
    }

    [Fact]
    public void A_hidden_or_missing_item_reads_the_same()
    {
        var cut = _context.Render<NotVisible>(p => p.Add(x => x.What, "Repository team/b"));
        Assert.Contains("Repository team/b not found or not allowed", cut.Find("#not-visible").TextContent);
    }

    [Fact]
    public void A_signed_in_user_without_the_role_is_told_so()
    {
        var cut = _context.Render<RoleDenied>();
        Assert.Contains("signed in as viewer, and your role does not allow this page", cut.Find("#role-denied").TextContent);
    }

    [Fact]
    public void The_page_header_shows_breadcrumbs_to_this_page()
    {
        var cut = _context.Render<PageHeader>(p => p.Add(x => x.Title, "team/web").Add(x => x.Crumbs, [Links.Overview, Links.Repositories]));
        Assert.Equal("team/web", cut.Find("h1").TextContent.Trim());
        var crumbs = cut.Find(".crumbs").TextContent;
        Assert.Contains("Overview", crumbs);
        Assert.Contains("Repositories", crumbs);
    }

    [Fact]
    public void The_empty_state_gives_the_push_commands()
    {
        var cut = _context.Render<EmptyRegistry>(p => p.Add(x => x.Admin, false));
        Assert.Contains("docker push localhost/team/my-image:1.0", cut.Find("#push-commands").TextContent);
        Assert.Contains("ask an Admin", cut.Markup);
    }

    [Fact]
    public void The_delete_dialog_names_what_goes_with_the_digest_and_offers_the_tag_alone()
    {
        const string digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
        var details = new ManifestDetails("team/web", digest, "application/vnd.oci.image.index.v1+json", 500, DateTime.UtcNow, ["1.0", "latest"], null, [],
            [new ChildManifestInfo("sha256:" + new string('2', 64), "m", 10, "linux/amd64", 100)], null,
            [new ReferrerInfo("sha256:" + new string('3', 64), "application/vnd.dev.sigstore.bundle+json", 5)], null, null, null);
        var cut = _context.Render<MudDialogProvider>();
        var dialogs = _context.Services.GetRequiredService<IDialogService>();
        var parameters = new DialogParameters<DeleteManifestDialog>
        {
            { x => x.Repository, "team/web" }, { x => x.Digest, digest }, { x => x.Tag, "1.0" }, { x => x.Details, details },
        };
        cut.InvokeAsync(() => dialogs.ShowAsync<DeleteManifestDialog>("Delete", parameters));
        Assert.Equal(digest, cut.Find("#delete-digest").TextContent);
        var consequences = cut.Find("#delete-consequences").TextContent;
        Assert.Contains("the tags 1.0, latest", consequences);
        Assert.Contains("linux/amd64", consequences);
        Assert.Contains("application/vnd.dev.sigstore.bundle+json", consequences);
        Assert.Contains("Remove this tag only", cut.Find("#delete-tag-only").TextContent);
        Assert.Contains("mud-button-filled-error", cut.Find("#delete-confirm").ClassName);
    }

    [Theory]
    [InlineData("=SUM(A1)", "'=SUM(A1)")]
    [InlineData("+1", "'+1")]
    [InlineData("-1", "'-1")]
    [InlineData("@cmd", "'@cmd")]
    [InlineData("\tx", "'\tx")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("plain", "plain")]
    public void Csv_fields_a_spreadsheet_would_run_are_neutralised(string value, string expected) => Assert.Equal(expected, AuditQueries.Quote(value));

    [Fact]
    public void Carriage_return_at_the_start_is_neutralised_and_quoted() => Assert.Equal("\"'\rx\"", AuditQueries.Quote("\rx"));

    [Theory]
    [InlineData(GcPhase.Marking, "marking what is in use")]
    [InlineData(GcPhase.SweepingBlobs, "deleting blobs")]
    public void Collection_phases_are_named_in_words(GcPhase phase, string expected) => Assert.Equal(expected, GarbageCollection.PhaseName(phase));

    [Fact]
    public void Audit_times_are_read_as_utc()
    {
        Assert.Equal(new DateTime(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc), Audit.ParseUtc("2026-12-01 09:00"));
        Assert.Null(Audit.ParseUtc("yesterday"));
    }

    [Fact]
    public void The_instance_table_marks_this_instance_and_the_silent_ones()
    {
        var started = new DateTime(2027, 1, 1, 8, 0, 0, DateTimeKind.Utc);
        InstanceInfo[] instances =
        [
            new("web-1-ab12cd34", "1.4.0", "web-1 :5000", started, started.AddHours(1), true, InstanceHealth.Healthy),
            new("web-2-ef56ab78", "1.4.0", "web-2 :5000", started, started.AddMinutes(10), false, InstanceHealth.Silent),
        ];
        var cut = _context.Render<InstanceTable>(p => p.Add(x => x.Instances, instances));
        var rows = cut.FindAll("#instances tbody tr");
        Assert.Equal(2, rows.Count);
        Assert.Contains("(this one)", rows[0].QuerySelector(".instance-id")!.TextContent);
        Assert.DoesNotContain("(this one)", rows[1].QuerySelector(".instance-id")!.TextContent);
        Assert.Contains("healthy", rows[0].QuerySelector(".instance-health")!.TextContent);
        Assert.Contains("no heartbeat", rows[1].QuerySelector(".instance-health")!.TextContent);
        Assert.Contains("2027-01-01 08:10:00", rows[1].TextContent);
    }

    [Fact]
    public void The_instance_table_says_when_no_instance_registered()
    {
        var cut = _context.Render<InstanceTable>(p => p.Add(x => x.Instances, Array.Empty<InstanceInfo>()));
        Assert.Contains("No instance has registered", cut.Markup);
    }
}
