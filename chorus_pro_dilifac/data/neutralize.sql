-- A neutralised copy of a production database (odoo-bin neutralize, or a staging copy)
-- must never reach the real Chorus Pro or Dilifac: no transport, the qualification
-- platform, no credential, no pinned Dilifac host (see docs/odoo-host.md "Neutralisation").
UPDATE res_company
   SET chorus_transport = NULL,
       chorus_environment = 'qualif',
       chorus_piste_client_id = NULL,
       chorus_piste_client_secret = NULL,
       chorus_tech_login = NULL,
       chorus_tech_password = NULL,
       chorus_api_oauth_url = NULL,
       chorus_api_base_url = NULL,
       chorus_sftp_host = NULL,
       chorus_sftp_user = NULL,
       chorus_sftp_password = NULL,
       chorus_sftp_private_key = NULL,
       chorus_sftp_host_fingerprint = NULL;
