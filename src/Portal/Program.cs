using Wharf.Portal.Hosting;

// wharf                      serve with appsettings.json / Wharf__* / REGISTRY_* settings
// wharf serve config.yml     serve with a distribution-style config file
// wharf import config.yml    import a registry:2 data directory's metadata, then exit
// wharf garbage-collect [--dry-run] [--delete-untagged] config.yml
//                            collect (or preview) unused content, safely while a Wharf serves the same store
return await WharfCommandLine.RunAsync(args);
