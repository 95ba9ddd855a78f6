package master

import (
	"github.com/brine-cm/brine/api"
	"github.com/brine-cm/brine/internal/config"
)

// loadAPI builds the API's configuration from `api:` or its salt-api alias
// `rest_cherrypy:`, and reads `external_auth` for what the API can honour.
func (c *Config) loadAPI(doc *config.Doc) error {
	switch {
	case c.APISection != nil && c.RestCherrypy != nil:
		return doc.Errorf([]any{"rest_cherrypy"}, "give api: or rest_cherrypy: (salt-api's name for the same section), not both")
	case c.RestCherrypy != nil:
		cfg, warnings, err := c.RestCherrypy.Config()
		if err != nil {
			return doc.Locate(err)
		}
		c.API, c.apiKey = cfg, "rest_cherrypy"
		c.Warnings = append(c.Warnings, warnings...)
	case c.APISection != nil:
		cfg, err := c.APISection.Config("api")
		if err != nil {
			return doc.Locate(err)
		}
		c.API, c.apiKey = cfg, "api"
	}
	if len(c.ExternalAuth) == 0 {
		return nil
	}
	if c.API == nil {
		c.Warnings = append(c.Warnings, "external_auth: ignored: there is no api: (or rest_cherrypy:) section, so no API to log in to")
		return nil
	}
	warnings, err := api.ApplyExternalAuth(c.API, c.ExternalAuth)
	if err != nil {
		return doc.Locate(err)
	}
	c.Warnings = append(c.Warnings, warnings...)
	return nil
}
