/**
 * The demo API: a separate Nest app whose routes require a bearer access token for
 * `https://api.example.com` with the right scope (RFC 9068 / RFC 6750).
 */
import {
  Controller,
  type DynamicModule,
  Get,
  HttpCode,
  Module,
  Post,
  UseGuards,
} from '@nestjs/common'
import {
  Bearer,
  BearerAuthGuard,
  BearerAuthModule,
  RequiredScopes,
  type VerifiedBearer,
} from '@oidc-hybrid/nestjs'

@Controller('api/messages')
@UseGuards(BearerAuthGuard)
export class MessagesController {
  @Get()
  @RequiredScopes('read:messages')
  list(@Bearer() { claims, scopes }: VerifiedBearer) {
    return {
      messages: [
        { id: 1, text: 'Hello from the demo API' },
        { id: 2, text: `Your access token is for ${String(claims.aud)}` },
      ],
      sub: claims.sub,
      scopes,
      customClaim: claims['http://foo/bar'],
    }
  }

  @Post()
  @HttpCode(201)
  @RequiredScopes('write:messages')
  create(@Bearer('sub') sub: string) {
    return { ok: true, sub }
  }
}

@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest's dynamic module idiom (`ApiModule.forRoot()`)
export class ApiModule {
  static forRoot(settings: { issuerBaseURL: string; audience: string }): DynamicModule {
    return {
      module: ApiModule,
      imports: [BearerAuthModule.forRoot({ ...settings, realm: 'demo-api' })],
      controllers: [MessagesController],
    }
  }
}
